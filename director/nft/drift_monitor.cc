#include "director/nft/drift_monitor.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <algorithm>
#include <array>
#include <utility>

#include "director/nft/nftnl_util.h"

namespace ha::director::nft {
namespace {

// Every nf_tables object message names its table in attribute 1 (NFTA_TABLE_NAME,
// NFTA_CHAIN_TABLE, NFTA_RULE_TABLE, NFTA_SET_TABLE, NFTA_SET_ELEM_LIST_TABLE, NFTA_OBJ_TABLE,
// NFTA_FLOWTABLE_TABLE); the object's own name sits at a type-specific index.
constexpr uint16_t kTableAttr = 1;

std::optional<uint16_t> objectNameAttr(uint16_t message) {
  switch (message) {
    case NFT_MSG_NEWTABLE:
    case NFT_MSG_DELTABLE:
      return std::nullopt;
    case NFT_MSG_NEWCHAIN:
    case NFT_MSG_DELCHAIN:
      return NFTA_CHAIN_NAME;
    case NFT_MSG_NEWRULE:
    case NFT_MSG_DELRULE:
      return NFTA_RULE_CHAIN;
    case NFT_MSG_NEWSET:
    case NFT_MSG_DELSET:
      return NFTA_SET_NAME;
    case NFT_MSG_NEWSETELEM:
    case NFT_MSG_DELSETELEM:
      return NFTA_SET_ELEM_LIST_SET;
    case NFT_MSG_NEWOBJ:
    case NFT_MSG_DELOBJ:
      return NFTA_OBJ_NAME;
    case NFT_MSG_NEWFLOWTABLE:
    case NFT_MSG_DELFLOWTABLE:
      return NFTA_FLOWTABLE_NAME;
    default:
      return std::nullopt;
  }
}

bool isObjectMessage(uint16_t message) {
  switch (message) {
    case NFT_MSG_NEWTABLE:
    case NFT_MSG_DELTABLE:
    case NFT_MSG_NEWCHAIN:
    case NFT_MSG_DELCHAIN:
    case NFT_MSG_NEWRULE:
    case NFT_MSG_DELRULE:
    case NFT_MSG_NEWSET:
    case NFT_MSG_DELSET:
    case NFT_MSG_NEWSETELEM:
    case NFT_MSG_DELSETELEM:
    case NFT_MSG_NEWOBJ:
    case NFT_MSG_DELOBJ:
    case NFT_MSG_NEWFLOWTABLE:
    case NFT_MSG_DELFLOWTABLE:
      return true;
    default:
      return false;
  }
}

bool isSetElement(uint16_t message) {
  return message == NFT_MSG_NEWSETELEM || message == NFT_MSG_DELSETELEM;
}

std::string verb(uint16_t message) {
  switch (message) {
    case NFT_MSG_NEWTABLE:
      return "add table";
    case NFT_MSG_DELTABLE:
      return "delete table";
    case NFT_MSG_NEWCHAIN:
      return "add chain";
    case NFT_MSG_DELCHAIN:
      return "delete chain";
    case NFT_MSG_NEWRULE:
      return "add rule to chain";
    case NFT_MSG_DELRULE:
      return "delete rule from chain";
    case NFT_MSG_NEWSET:
      return "add set";
    case NFT_MSG_DELSET:
      return "delete set";
    case NFT_MSG_NEWSETELEM:
      return "add element to set";
    case NFT_MSG_DELSETELEM:
      return "delete element from set";
    case NFT_MSG_NEWOBJ:
      return "add object";
    case NFT_MSG_DELOBJ:
      return "delete object";
    case NFT_MSG_NEWFLOWTABLE:
      return "add flowtable";
    case NFT_MSG_DELFLOWTABLE:
      return "delete flowtable";
    default:
      return "change";
  }
}

std::string familyName(uint8_t family) {
  switch (family) {
    case NFPROTO_INET:
      return "inet";
    case NFPROTO_IPV4:
      return "ip";
    case NFPROTO_IPV6:
      return "ip6";
    case NFPROTO_NETDEV:
      return "netdev";
    case NFPROTO_BRIDGE:
      return "bridge";
    case NFPROTO_ARP:
      return "arp";
    default:
      return "family " + std::to_string(family);
  }
}

std::string describe(const NftNotification& n) {
  if (n.object.empty()) return verb(n.message) + " " + familyName(n.family) + " " + n.table;
  return verb(n.message) + " " + n.object + " in " + familyName(n.family) + " " + n.table;
}

// Attribute `type` of the message as a string, or "" when absent or not a string.
std::string stringAttr(const nlmsghdr* nlh, uint16_t type) {
  std::string out;
  struct Ctx {
    uint16_t type;
    std::string* out;
  } ctx{type, &out};
  mnl_attr_parse(
      nlh, sizeof(nfgenmsg),
      [](const nlattr* attr, void* data) -> int {
        auto* c = static_cast<Ctx*>(data);
        if (mnl_attr_get_type(attr) == c->type &&
            mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0) {
          *c->out = mnl_attr_get_str(attr);
        }
        return MNL_CB_OK;
      },
      &ctx);
  return out;
}

std::optional<uint32_t> u32Attr(const nlmsghdr* nlh, uint16_t type) {
  std::optional<uint32_t> out;
  struct Ctx {
    uint16_t type;
    std::optional<uint32_t>* out;
  } ctx{type, &out};
  mnl_attr_parse(
      nlh, sizeof(nfgenmsg),
      [](const nlattr* attr, void* data) -> int {
        auto* c = static_cast<Ctx*>(data);
        if (mnl_attr_get_type(attr) == c->type && mnl_attr_validate(attr, MNL_TYPE_U32) >= 0) {
          *c->out = ntohl(mnl_attr_get_u32(attr));
        }
        return MNL_CB_OK;
      },
      &ctx);
  return out;
}

uint8_t familyOf(TableFamily family) { return static_cast<uint8_t>(detail::nfproto(family)); }

}  // namespace

std::optional<NftEvent> parseNftEvent(const nlmsghdr* nlh) {
  if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(nfgenmsg))) return std::nullopt;
  if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES) return std::nullopt;
  const auto message = static_cast<uint16_t>(NFNL_MSG_TYPE(nlh->nlmsg_type));
  if (message == NFT_MSG_NEWGEN) {
    NftGeneration gen;
    gen.pid = u32Attr(nlh, NFTA_GEN_PROC_PID).value_or(0);
    gen.process = stringAttr(nlh, NFTA_GEN_PROC_NAME);
    return gen;
  }
  if (!isObjectMessage(message)) return std::nullopt;
  NftNotification n;
  n.message = message;
  n.family = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh))->nfgen_family;
  n.table = stringAttr(nlh, kTableAttr);
  if (n.table.empty()) return std::nullopt;
  if (auto attr = objectNameAttr(message)) n.object = stringAttr(nlh, *attr);
  n.portId = nlh->nlmsg_pid;
  return n;
}

DriftDetector::DriftDetector(std::vector<TableId> ours, uint32_t ourPortId)
    : ours_(std::move(ours)), ourPortId_(ourPortId) {}

bool DriftDetector::foreignChangeOfOurs(const NftNotification& n) const {
  if (n.portId == ourPortId_) return false;
  if (n.portId == 0 && isSetElement(n.message)) return false;
  return std::any_of(ours_.begin(), ours_.end(), [&](const TableId& id) {
    return id.name == n.table && familyOf(id.family) == n.family;
  });
}

std::optional<Drift> DriftDetector::feed(const NftEvent& event) {
  if (const auto* n = std::get_if<NftNotification>(&event)) {
    if (foreignChangeOfOurs(*n)) pending_.push_back(*n);
    return std::nullopt;
  }
  if (pending_.empty()) return std::nullopt;
  const auto& gen = std::get<NftGeneration>(event);
  // The first change names the transaction: a deleted table comes before its chains and sets.
  const auto first = std::find_if(pending_.begin(), pending_.end(), [](const NftNotification& n) {
    return n.message == NFT_MSG_DELTABLE;
  });
  Drift drift;
  drift.what = describe(first != pending_.end() ? *first : pending_.front());
  if (pending_.size() > 1) drift.what += " (+" + std::to_string(pending_.size() - 1) + " more)";
  drift.pid = gen.pid;
  drift.process = gen.process;
  drift.what += gen.pid != 0 ? " by " + (gen.process.empty() ? "pid" : gen.process) + "[" +
                                   std::to_string(gen.pid) + "]"
                             : " by the kernel";
  pending_.clear();
  return drift;
}

}  // namespace ha::director::nft
