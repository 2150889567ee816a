// Stateful objects (NFT_MSG_NEWOBJ / DELOBJ) of a Transaction, for BatchBuilder: what nft sends
// for `ct helper NAME { type "ftp" protocol tcp; l3proto inet; }`.
#include <libnftnl/object.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "director/nft/nftnl_batch.h"
#include "director/nft/nftnl_util.h"

namespace ha::director::nft::detail {
namespace {

constexpr size_t kObjMsgBytes = 4096;    // a table, a name and a few attributes
constexpr size_t kCtHelperNameLen = 16;  // NF_CT_HELPER_NAME_LEN (kernel-internal), with the NUL

uint32_t objectType(const ObjectDef& object) {
  return std::visit([](const CtHelperObject&) -> uint32_t { return NFT_OBJECT_CT_HELPER; }, object);
}

Status fill(nftnl_obj* o, const CtHelperObject& helper) {
  if (helper.type.empty() || helper.type.size() >= kCtHelperNameLen) {
    return Error{"ct helper type \"" + helper.type + "\" must be 1.." +
                 std::to_string(kCtHelperNameLen - 1) + " bytes"};
  }
  nftnl_obj_set_str(o, NFTNL_OBJ_CT_HELPER_NAME, helper.type.c_str());
  nftnl_obj_set_u8(o, NFTNL_OBJ_CT_HELPER_L4PROTO, helper.l4proto);
  // inet: the kernel binds the helper's IPv4 and IPv6 halves (nft_ct_helper_obj_init).
  nftnl_obj_set_u16(o, NFTNL_OBJ_CT_HELPER_L3PROTO, NFPROTO_INET);
  return okStatus();
}

Result<ObjPtr> build(const TableId& table, const std::string& name, const ObjectDef& object,
                     bool withData) {
  if (auto st = checkName("object", name); !st) return Error{st.error()};
  ObjPtr o(nftnl_obj_alloc());
  if (!o) return Error{"out of memory"};
  nftnl_obj_set_str(o.get(), NFTNL_OBJ_TABLE, table.name.c_str());
  nftnl_obj_set_str(o.get(), NFTNL_OBJ_NAME, name.c_str());
  nftnl_obj_set_u32(o.get(), NFTNL_OBJ_TYPE, objectType(object));
  if (withData) {
    auto st = std::visit([&](const auto& kind) { return fill(o.get(), kind); }, object);
    if (!st) return Error{st.error()};
  }
  return o;
}

}  // namespace

std::string objectText(const std::string& name, const ObjectDef& object) {
  return std::visit([&](const CtHelperObject&) { return "ct helper " + name; }, object);
}

Status BatchBuilder::addOp(const AddObject& op, size_t i) {
  auto o = build(op.table, op.name, op.object, true);
  if (!o) return Error{o.error()};
  // NLM_F_CREATE without NLM_F_EXCL: an existing object of that name is left as it is (a ct
  // helper has no update); diff() rebuilds the table when a definition changes.
  auto* nlh = startMessage(NFT_MSG_NEWOBJ, op.table, NLM_F_CREATE, i, 0, kObjMsgBytes);
  nftnl_obj_nlmsg_build_payload(nlh, o->get());
  endMessage(nlh);
  return okStatus();
}

Status BatchBuilder::addOp(const DeleteObject& op, size_t i) {
  auto o = build(op.table, op.name, op.object, false);
  if (!o) return Error{o.error()};
  auto* nlh = startMessage(NFT_MSG_DELOBJ, op.table, 0, i, 0, kObjMsgBytes);
  nftnl_obj_nlmsg_build_payload(nlh, o->get());
  endMessage(nlh);
  return okStatus();
}

}  // namespace ha::director::nft::detail
