#include "director/nft/nftnl_batch.h"

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <algorithm>
#include <utility>

#include "director/nft/ir_text.h"
#include "director/nft/nftnl_util.h"

namespace ha::director::nft::detail {
namespace {

// Upper bounds of one message, so the buffer is grown before libnftnl writes
// (it never checks).
constexpr size_t kObjectMsgBytes = 4096;  // table, set, chain, flush: a few names and u32s
constexpr size_t kRuleMsgBytes = 4096;    // + kExprBytes per expression
constexpr size_t kExprBytes = 1024;       // the largest: dynset with a set name and a counter
constexpr size_t kElemBytes = 512;        // key 64 + data 64 or verdict with a 255-byte chain
// An nlattr length is 16 bits: one message carries as many elements as fit one
// nest.
constexpr size_t kElemNestLimit = 0xffff;
constexpr size_t kInitialBuffer = 256 * 1024;

// NFT_TABLE_F_PERSIST arrived in Linux 6.9, after the uapi headers Debian 12 ships.
constexpr uint32_t kTableFlagOwner = 0x2;    // NFT_TABLE_F_OWNER
constexpr uint32_t kTableFlagPersist = 0x4;  // NFT_TABLE_F_PERSIST

uint32_t tableFlags(TableOwner owner) {
  switch (owner) {
    case TableOwner::kNone: return 0;
    case TableOwner::kProcess: return kTableFlagOwner;
    case TableOwner::kPersistent: return kTableFlagOwner | kTableFlagPersist;
  }
  return 0;
}

uint32_t hookNum(const TableId &table, BaseHook::Hook hook) {
  switch (hook) {
    case BaseHook::Hook::kPrerouting:
      return NF_INET_PRE_ROUTING;
    case BaseHook::Hook::kInput:
      return NF_INET_LOCAL_IN;
    case BaseHook::Hook::kForward:
      return NF_INET_FORWARD;
    case BaseHook::Hook::kOutput:
      return NF_INET_LOCAL_OUT;
    case BaseHook::Hook::kPostrouting:
      return NF_INET_POST_ROUTING;
    case BaseHook::Hook::kIngress:
      if (table.family == TableFamily::kNetdev) return NF_NETDEV_INGRESS;
      return NF_INET_INGRESS;
  }
  return NF_INET_PRE_ROUTING;
}

Status fillElement(nftnl_set_elem *e, const Element &el, bool withData) {
  if (el.key.empty() || el.key.size() > kMaxDataLen) {
    return Error{"key is " + std::to_string(el.key.size()) + " bytes"};
  }
  nftnl_set_elem_unset(e, NFTNL_SET_ELEM_DATA);
  nftnl_set_elem_unset(e, NFTNL_SET_ELEM_VERDICT);
  nftnl_set_elem_unset(e, NFTNL_SET_ELEM_CHAIN);
  nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, el.key.data(), static_cast<uint32_t>(el.key.size()));
  if (!withData) return okStatus();
  if (const auto *bytes = std::get_if<Bytes>(&el.data)) {
    if (bytes->empty() || bytes->size() > kMaxDataLen) {
      return Error{"data is " + std::to_string(bytes->size()) + " bytes"};
    }
    nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, bytes->data(), static_cast<uint32_t>(bytes->size()));
  } else if (const auto *v = std::get_if<Verdict>(&el.data)) {
    nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, verdictCode(v->code));
    if (v->code == Verdict::Code::kJump || v->code == Verdict::Code::kGoto) {
      if (auto st = checkName("verdict chain", v->chain); !st) return st;
      nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, v->chain.c_str());
    }
  }
  return okStatus();
}

std::string hexKey(const Bytes &key) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < key.size(); ++i) {
    if (i != 0 && i % 4 == 0) s += '.';  // one concatenated field per 32-bit register
    s += kHex[key[i] >> 4];
    s += kHex[key[i] & 0xf];
  }
  return s;
}

// Index of the NFTA_LIST_ELEM of top-level attribute `list` that holds byte
// `offset` of `nlh`.
std::optional<size_t> listIndexAt(const nlmsghdr *nlh, uint16_t list, uint32_t offset) {
  const auto *base = reinterpret_cast<const char *>(nlh);
  const char *tail = static_cast<const char *>(mnl_nlmsg_get_payload_tail(nlh));
  const auto *attr =
      static_cast<const nlattr *>(mnl_nlmsg_get_payload_offset(nlh, sizeof(nfgenmsg)));
  for (; mnl_attr_ok(attr, static_cast<int>(tail - reinterpret_cast<const char *>(attr)));
       attr = mnl_attr_next(attr)) {
    if (mnl_attr_get_type(attr) != list) continue;
    const char *end = reinterpret_cast<const char *>(attr) + attr->nla_len;
    const auto *elem = static_cast<const nlattr *>(mnl_attr_get_payload(attr));
    for (size_t i = 0;
         mnl_attr_ok(elem, static_cast<int>(end - reinterpret_cast<const char *>(elem)));
         elem = mnl_attr_next(elem), ++i) {
      const auto start = static_cast<size_t>(reinterpret_cast<const char *>(elem) - base);
      if (offset >= start && offset < start + elem->nla_len) return i;
    }
  }
  return std::nullopt;
}

}  // namespace

BatchBuilder::BatchBuilder(uint32_t firstSeq, TableOwner ownerLimit)
    : buf_(kInitialBuffer), firstSeq_(firstSeq), seq_(firstSeq), ownerLimit_(ownerLimit) {
  auto *nlh = nftnl_batch_begin(reserve(kObjectMsgBytes), seq_++);
  used_ += NLMSG_ALIGN(nlh->nlmsg_len);
}

void BatchBuilder::finish() {
  auto *nlh = nftnl_batch_end(reserve(kObjectMsgBytes), seq_++);
  used_ += NLMSG_ALIGN(nlh->nlmsg_len);
}

char *BatchBuilder::reserve(size_t bytes) {
  if (used_ + bytes > buf_.size()) buf_.resize(std::max(buf_.size() * 2, used_ + bytes));
  return buf_.data() + used_;
}

nlmsghdr *BatchBuilder::startMessage(uint16_t type, const TableId &table, uint16_t flags,
                                     size_t opIndex, size_t firstElement, size_t maxBytes) {
  origins_.push_back(MessageOrigin{opIndex, used_, firstElement});
  // Every message asks for an ACK, so the reply stream says which message
  // failed and that every other one was seen.
  return nftnl_nlmsg_build_hdr(reserve(maxBytes), type, nfproto(table.family),
                               static_cast<uint16_t>(flags | NLM_F_ACK), seq_++);
}

void BatchBuilder::endMessage(const nlmsghdr *nlh) { used_ += NLMSG_ALIGN(nlh->nlmsg_len); }

const MessageOrigin *BatchBuilder::origin(uint32_t seq) const {
  const uint32_t index = seq - firstSeq_ - 1;  // unsigned: seq_ may wrap
  return index < origins_.size() ? &origins_[index] : nullptr;
}

const nlmsghdr *BatchBuilder::message(const MessageOrigin &origin) const {
  return reinterpret_cast<const nlmsghdr *>(buf_.data() + origin.offset);
}

Status BatchBuilder::add(const Op &op, size_t opIndex) {
  return std::visit([&](const auto &o) { return addOp(o, opIndex); }, op);
}

Status BatchBuilder::addOp(const AddTable &op, size_t i) {
  if (auto st = checkName("table", op.table.name); !st) return st;
  TablePtr t(nftnl_table_alloc());
  nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, op.table.name.c_str());
  if (op.owner) nftnl_table_set_u32(t.get(), NFTNL_TABLE_FLAGS, tableFlags(std::min(*op.owner, ownerLimit_)));
  // NLM_F_CREATE without NLM_F_EXCL: adding an existing table is a no-op, not
  // an error.
  auto *nlh = startMessage(NFT_MSG_NEWTABLE, op.table, NLM_F_CREATE, i, 0, kObjectMsgBytes);
  nftnl_table_nlmsg_build_payload(nlh, t.get());
  endMessage(nlh);
  return okStatus();
}

Status BatchBuilder::addOp(const DeleteTable &op, size_t i) {
  if (auto st = checkName("table", op.table.name); !st) return st;
  TablePtr t(nftnl_table_alloc());
  nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, op.table.name.c_str());
  auto *nlh = startMessage(NFT_MSG_DELTABLE, op.table, 0, i, 0, kObjectMsgBytes);
  nftnl_table_nlmsg_build_payload(nlh, t.get());
  endMessage(nlh);
  return okStatus();
}

Status BatchBuilder::addOp(const AddSet &op, size_t i) {
  const SetDef &def = op.set;
  if (auto st = checkName("set", def.name); !st) return st;
  SetPtr s(nftnl_set_alloc());
  nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, op.table.name.c_str());
  nftnl_set_set_str(s.get(), NFTNL_SET_NAME, def.name.c_str());
  nftnl_set_set_u32(s.get(), NFTNL_SET_ID, nextSetId_++);
  const bool map = def.map || def.verdictMap;
  uint32_t flags = 0;
  if (map) flags |= NFT_SET_MAP;
  if (def.dynamic) flags |= NFT_SET_EVAL;
  if (def.timeout) flags |= NFT_SET_TIMEOUT;
  nftnl_set_set_u32(s.get(), NFTNL_SET_FLAGS, flags);
  nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_TYPE, def.keyType);
  nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_LEN, def.keyLen);
  if (def.verdictMap) {
    // The kernel sizes verdict data itself (struct nft_verdict) and ignores a
    // data length.
    nftnl_set_set_u32(s.get(), NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
  } else if (map) {
    nftnl_set_set_u32(s.get(), NFTNL_SET_DATA_TYPE, def.dataType);
    nftnl_set_set_u32(s.get(), NFTNL_SET_DATA_LEN, def.dataLen);
  }
  if (def.size != 0) nftnl_set_set_u32(s.get(), NFTNL_SET_DESC_SIZE, def.size);
  if (def.counterPerElement) {
    nftnl_expr *counter = nftnl_expr_alloc("counter");
    if (counter == nullptr) return Error{"out of memory"};
    nftnl_set_add_expr(s.get(), counter);  // takes ownership
  }
  auto *nlh = startMessage(NFT_MSG_NEWSET, op.table, NLM_F_CREATE, i, 0, kObjectMsgBytes);
  nftnl_set_nlmsg_build_payload(nlh, s.get());
  endMessage(nlh);
  return okStatus();
}

Status BatchBuilder::addOp(const DeleteSet &op, size_t i) {
  if (auto st = checkName("set", op.name); !st) return st;
  SetPtr s(nftnl_set_alloc());
  nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, op.table.name.c_str());
  nftnl_set_set_str(s.get(), NFTNL_SET_NAME, op.name.c_str());
  auto *nlh = startMessage(NFT_MSG_DELSET, op.table, 0, i, 0, kObjectMsgBytes);
  nftnl_set_nlmsg_build_payload(nlh, s.get());
  endMessage(nlh);
  return okStatus();
}

Status BatchBuilder::addOp(const AddChain &op, size_t i) {
  const ChainDef &def = op.chain;
  if (auto st = checkName("chain", def.name); !st) return st;
  ChainPtr c(nftnl_chain_alloc());
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TABLE, op.table.name.c_str());
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_NAME, def.name.c_str());
  if (def.hook) {
    const BaseHook &h = *def.hook;
    if (auto st = checkName("chain type", h.type); !st) return st;
    nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_HOOKNUM, hookNum(op.table, h.hook));
    nftnl_chain_set_s32(c.get(), NFTNL_CHAIN_PRIO, h.priority);
    nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TYPE, h.type.c_str());
    nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_POLICY, NF_ACCEPT);
    if (!h.device.empty()) {
      if (auto st = checkName("device", h.device); !st) return st;
      nftnl_chain_set_str(c.get(), NFTNL_CHAIN_DEV, h.device.c_str());
    }
  }
  auto *nlh = startMessage(NFT_MSG_NEWCHAIN, op.table, NLM_F_CREATE, i, 0, kObjectMsgBytes);
  nftnl_chain_nlmsg_build_payload(nlh, c.get());
  endMessage(nlh);
  return okStatus();
}

Status BatchBuilder::addOp(const DeleteChain &op, size_t i) {
  if (auto st = checkName("chain", op.name); !st) return st;
  ChainPtr c(nftnl_chain_alloc());
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TABLE, op.table.name.c_str());
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_NAME, op.name.c_str());
  auto *nlh = startMessage(NFT_MSG_DELCHAIN, op.table, 0, i, 0, kObjectMsgBytes);
  nftnl_chain_nlmsg_build_payload(nlh, c.get());
  endMessage(nlh);
  return okStatus();
}

Status BatchBuilder::addOp(const FlushChain &op, size_t i) {
  if (auto st = checkName("chain", op.name); !st) return st;
  // DELRULE naming only table and chain deletes every rule of the chain.
  RulePtr r(nftnl_rule_alloc());
  nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, op.table.name.c_str());
  nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, op.name.c_str());
  auto *nlh = startMessage(NFT_MSG_DELRULE, op.table, 0, i, 0, kObjectMsgBytes);
  nftnl_rule_nlmsg_build_payload(nlh, r.get());
  endMessage(nlh);
  return okStatus();
}

Status BatchBuilder::addOp(const AddRule &op, size_t i) {
  if (auto st = checkName("chain", op.chain); !st) return st;
  RulePtr r(nftnl_rule_alloc());
  nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, op.table.name.c_str());
  nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, op.chain.c_str());
  for (size_t k = 0; k < op.rule.exprs.size(); ++k) {
    auto e = buildExpr(op.rule.exprs[k]);
    if (!e) return Error{"expression " + std::to_string(k + 1) + ": " + e.error()};
    nftnl_rule_add_expr(r.get(), e->release());  // takes ownership
  }
  if (!op.rule.comment.empty()) {
    // nft keeps the comment as a TLV in the rule's user data; `nft list` prints
    // it.
    UdataPtr ud(nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN));
    if (!ud) return Error{"out of memory"};
    if (!nftnl_udata_put_strz(ud.get(), NFTNL_UDATA_RULE_COMMENT, op.rule.comment.c_str())) {
      return Error{"comment longer than " + std::to_string(NFT_USERDATA_MAXLEN - 3) + " bytes"};
    }
    nftnl_rule_set_data(r.get(), NFTNL_RULE_USERDATA, nftnl_udata_buf_data(ud.get()),
                        nftnl_udata_buf_len(ud.get()));
  }
  const size_t maxBytes = kRuleMsgBytes + kExprBytes * op.rule.exprs.size();
  auto *nlh = startMessage(NFT_MSG_NEWRULE, op.table, NLM_F_APPEND | NLM_F_CREATE, i, 0, maxBytes);
  nftnl_rule_nlmsg_build_payload(nlh, r.get());
  endMessage(nlh);
  return okStatus();
}

Status BatchBuilder::addOp(const AddElements &op, size_t i) {
  return addElements(NFT_MSG_NEWSETELEM, op.table, op.set, op.elements, i);
}

Status BatchBuilder::addOp(const DeleteElements &op, size_t i) {
  return addElements(NFT_MSG_DELSETELEM, op.table, op.set, op.elements, i);
}

// Packs as many elements per message as one nested attribute holds (~1,800
// 8+8-byte map elements): 100k elements cost ~60 messages and ACKs instead of
// 100k.
Status BatchBuilder::addElements(uint16_t type, const TableId &table, const std::string &set,
                                 const std::vector<Element> &elements, size_t i) {
  if (auto st = checkName("set", set); !st) return st;
  if (auto st = checkName("table", table.name); !st) return st;
  const bool add = type == NFT_MSG_NEWSETELEM;
  SetElemPtr e(nftnl_set_elem_alloc());
  size_t next = 0;
  while (next < elements.size()) {
    auto *nlh = startMessage(type, table, add ? NLM_F_CREATE : 0, i, next,
                             kObjectMsgBytes + kElemNestLimit + kElemBytes);
    mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table.name.c_str());
    mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set.c_str());
    nlattr *nest = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
    const auto nestLen = [&] {
      return static_cast<size_t>(static_cast<char *>(mnl_nlmsg_get_payload_tail(nlh)) -
                                 reinterpret_cast<char *>(nest));
    };
    while (next < elements.size() && nestLen() + kElemBytes <= kElemNestLimit) {
      if (auto st = fillElement(e.get(), elements[next], add); !st) {
        return Error{"element " + std::to_string(next + 1) + ": " + st.error()};
      }
      nftnl_set_elem_nlmsg_build(nlh, e.get(), NFTA_LIST_ELEM);
      ++next;
    }
    mnl_attr_nest_end(nlh, nest);
    endMessage(nlh);
  }
  return okStatus();
}

std::string describeOp(const Op &op) {
  struct Describe {
    std::string operator()(const AddTable &o) const { return "add table " + tableText(o.table); }
    std::string operator()(const DeleteTable &o) const {
      return "delete table " + tableText(o.table);
    }
    std::string operator()(const AddSet &o) const {
      return "add set " + o.set.name + " in " + tableText(o.table);
    }
    std::string operator()(const DeleteSet &o) const {
      return "delete set " + o.name + " in " + tableText(o.table);
    }
    std::string operator()(const AddChain &o) const {
      return "add chain " + o.chain.name + " in " + tableText(o.table);
    }
    std::string operator()(const DeleteChain &o) const {
      return "delete chain " + o.name + " in " + tableText(o.table);
    }
    std::string operator()(const FlushChain &o) const {
      return "flush chain " + o.name + " in " + tableText(o.table);
    }
    std::string operator()(const AddRule &o) const {
      std::string s = "add rule to chain " + o.chain + " in " + tableText(o.table);
      if (!o.rule.comment.empty()) s += " (\"" + o.rule.comment + "\")";
      return s;
    }
    std::string operator()(const AddElements &o) const {
      return "add element to set " + o.set + " in " + tableText(o.table);
    }
    std::string operator()(const DeleteElements &o) const {
      return "delete element from set " + o.set + " in " + tableText(o.table);
    }
    std::string operator()(const AddObject& o) const {
      return "add " + objectText(o.object) + " in " + tableText(o.table);
    }
    std::string operator()(const DeleteObject& o) const {
      return "delete " + objectKind(o.object) + " " + o.object.name + " in " + tableText(o.table);
    }
  };
  return std::visit(Describe{}, op);
}

std::string describeFailure(const Transaction &tx, const BatchBuilder &batch,
                            const MessageOrigin &origin, std::optional<uint32_t> badAttrOffset) {
  const Op &op = tx.ops[origin.op];
  std::string s = describeOp(op);
  if (!badAttrOffset) return s;
  const nlmsghdr *nlh = batch.message(origin);
  if (const auto *rule = std::get_if<AddRule>(&op)) {
    if (auto k = listIndexAt(nlh, NFTA_RULE_EXPRESSIONS, *badAttrOffset);
        k && *k < rule->rule.exprs.size()) {
      s += " [expression " + std::to_string(*k + 1) + " of " +
           std::to_string(rule->rule.exprs.size()) + ": " +
           std::string(exprName(rule->rule.exprs[*k])) + "]";
    }
    return s;
  }
  const std::vector<Element> *elements = nullptr;
  if (const auto *a = std::get_if<AddElements>(&op)) elements = &a->elements;
  if (const auto *d = std::get_if<DeleteElements>(&op)) elements = &d->elements;
  if (elements == nullptr) return s;
  if (auto k = listIndexAt(nlh, NFTA_SET_ELEM_LIST_ELEMENTS, *badAttrOffset)) {
    const size_t index = origin.firstElement + *k;
    if (index < elements->size()) {
      s += " [element " + std::to_string(index + 1) + " of " + std::to_string(elements->size()) +
           ", key " + hexKey((*elements)[index].key) + "]";
    }
  }
  return s;
}

}  // namespace ha::director::nft::detail
