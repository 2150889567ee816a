// Stateful objects (NFT_MSG_NEWOBJ / DELOBJ) of a Transaction, for BatchBuilder: what nft sends
// for `ct timeout NAME { protocol tcp; policy = {...} }` and
// `ct helper NAME { type "ftp" protocol tcp; l3proto inet; }`.
#include <libnftnl/object.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>
#include <array>

#include "director/nft/nftnl_batch.h"
#include "director/nft/nftnl_util.h"

namespace ha::director::nft::detail {
namespace {

constexpr size_t kObjMsgBytes = 4096;    // a table, a name and a few attributes
constexpr size_t kCtHelperNameLen = 16;  // NF_CT_HELPER_NAME_LEN (kernel-internal), with the NUL

uint32_t objectType(const ObjectDef& object) {
  return std::holds_alternative<CtHelperObject>(object.body) ? NFT_OBJECT_CT_HELPER
                                                             : NFT_OBJECT_CT_TIMEOUT;
}

Status fill(nftnl_obj* o, const std::string& name, const CtTimeoutObject& t) {
  // libnftnl sends every state of the protocol's array; a state left 0 would be a 0 s timeout.
  const size_t states =
      t.l4proto == IPPROTO_TCP ? size_t{NFTNL_CTTIMEOUT_TCP_MAX} : size_t{NFTNL_CTTIMEOUT_UDP_MAX};
  if ((t.l4proto != IPPROTO_TCP && t.l4proto != IPPROTO_UDP) || t.seconds.size() != states) {
    return Error{"ct timeout " + name + ": protocol " + std::to_string(t.l4proto) + " with " +
                 std::to_string(t.seconds.size()) + " states"};
  }
  std::array<uint32_t, NFTNL_CTTIMEOUT_ARRAY_MAX> seconds{};
  std::copy(t.seconds.begin(), t.seconds.end(), seconds.begin());
  // No l3proto: the object takes the table's family (inet serves IPv4 and IPv6).
  nftnl_obj_set_u8(o, NFTNL_OBJ_CT_TIMEOUT_L4PROTO, t.l4proto);
  nftnl_obj_set_data(o, NFTNL_OBJ_CT_TIMEOUT_ARRAY, seconds.data(),
                     static_cast<uint32_t>(sizeof(seconds)));
  return okStatus();
}

Status fill(nftnl_obj* o, const std::string& name, const CtHelperObject& helper) {
  if (helper.type.empty() || helper.type.size() >= kCtHelperNameLen) {
    return Error{"ct helper " + name + ": type \"" + helper.type + "\" must be 1.." +
                 std::to_string(kCtHelperNameLen - 1) + " bytes"};
  }
  nftnl_obj_set_str(o, NFTNL_OBJ_CT_HELPER_NAME, helper.type.c_str());
  nftnl_obj_set_u8(o, NFTNL_OBJ_CT_HELPER_L4PROTO, helper.l4proto);
  // inet: the kernel binds the helper's IPv4 and IPv6 halves (nft_ct_helper_obj_init).
  nftnl_obj_set_u16(o, NFTNL_OBJ_CT_HELPER_L3PROTO, NFPROTO_INET);
  return okStatus();
}

Result<ObjPtr> build(const TableId& table, const ObjectDef& object, bool withData) {
  if (auto st = checkName("object", object.name); !st) return Error{st.error()};
  ObjPtr o(nftnl_obj_alloc());
  if (!o) return Error{"out of memory"};
  nftnl_obj_set_str(o.get(), NFTNL_OBJ_TABLE, table.name.c_str());
  nftnl_obj_set_str(o.get(), NFTNL_OBJ_NAME, object.name.c_str());
  nftnl_obj_set_u32(o.get(), NFTNL_OBJ_TYPE, objectType(object));
  if (withData) {
    auto st =
        std::visit([&](const auto& kind) { return fill(o.get(), object.name, kind); }, object.body);
    if (!st) return Error{st.error()};
  }
  return o;
}

}  // namespace

Status BatchBuilder::addOp(const AddObject& op, size_t i) {
  auto o = build(op.table, op.object, true);
  if (!o) return Error{o.error()};
  // NLM_F_EXCL: an object cannot be updated in place (the kernel ignores the add), so one that
  // exists with other values must fail loudly. Names carry the values (ct timeouts), and the
  // diff adds a shared object only when it is not installed yet.
  auto* nlh = startMessage(NFT_MSG_NEWOBJ, op.table, NLM_F_CREATE | NLM_F_EXCL, i, 0, kObjMsgBytes);
  nftnl_obj_nlmsg_build_payload(nlh, o->get());
  endMessage(nlh);
  return okStatus();
}

Status BatchBuilder::addOp(const DeleteObject& op, size_t i) {
  auto o = build(op.table, op.object, false);
  if (!o) return Error{o.error()};
  auto* nlh = startMessage(NFT_MSG_DELOBJ, op.table, 0, i, 0, kObjMsgBytes);
  nftnl_obj_nlmsg_build_payload(nlh, o->get());
  endMessage(nlh);
  return okStatus();
}

}  // namespace ha::director::nft::detail
