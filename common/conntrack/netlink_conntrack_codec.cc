#include "common/conntrack/netlink_conntrack_codec.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>

#include <cstring>
#include <memory>

namespace ha::conntrack::ctnl {

static_assert(kIpsSeenReply == IPS_SEEN_REPLY);
static_assert(kIpsAssured == IPS_ASSURED);
static_assert(kProtoTcp == IPPROTO_TCP && kProtoUdp == IPPROTO_UDP);
static_assert(kTcpStateMax + 1 == TCP_CONNTRACK_MAX);

namespace {

struct ConntrackDestroyer {
  void operator()(nf_conntrack* ct) const { nfct_destroy(ct); }
};
using ConntrackPtr = std::unique_ptr<nf_conntrack, ConntrackDestroyer>;

struct TupleAttrs {
  nf_conntrack_attr v4Src, v4Dst, v6Src, v6Dst, portSrc, portDst, l3, l4;
};
constexpr TupleAttrs kOrig{ATTR_ORIG_IPV4_SRC, ATTR_ORIG_IPV4_DST, ATTR_ORIG_IPV6_SRC,
                           ATTR_ORIG_IPV6_DST, ATTR_ORIG_PORT_SRC, ATTR_ORIG_PORT_DST,
                           ATTR_ORIG_L3PROTO,  ATTR_ORIG_L4PROTO};
constexpr TupleAttrs kRepl{ATTR_REPL_IPV4_SRC, ATTR_REPL_IPV4_DST, ATTR_REPL_IPV6_SRC,
                           ATTR_REPL_IPV6_DST, ATTR_REPL_PORT_SRC, ATTR_REPL_PORT_DST,
                           ATTR_REPL_L3PROTO,  ATTR_REPL_L4PROTO};

uint32_t v4Raw(const IpAddress& a) {  // network order, as libnetfilter_conntrack stores it
  uint32_t raw = 0;
  std::memcpy(&raw, a.bytes(), sizeof raw);
  return raw;
}

void setAddress(nf_conntrack* ct, nf_conntrack_attr v4, nf_conntrack_attr v6, const IpAddress& a) {
  if (a.isV4())
    nfct_set_attr_u32(ct, v4, v4Raw(a));
  else
    nfct_set_attr_l(ct, v6, a.bytes(), 16);
}

void setTuple(nf_conntrack* ct, const TupleAttrs& at, uint8_t l4proto, const FlowTuple& t) {
  nfct_set_attr_u8(ct, at.l3, t.src.isV4() ? AF_INET : AF_INET6);
  nfct_set_attr_u8(ct, at.l4, l4proto);
  setAddress(ct, at.v4Src, at.v6Src, t.src);
  setAddress(ct, at.v4Dst, at.v6Dst, t.dst);
  nfct_set_attr_u16(ct, at.portSrc, htons(t.srcPort));
  nfct_set_attr_u16(ct, at.portDst, htons(t.dstPort));
}

bool sameFamily(const FlowEntry& e) {
  const Family f = e.original.src.family();
  return e.original.dst.family() == f && e.reply.src.family() == f && e.reply.dst.family() == f;
}

void putHeader(nlmsghdr* nlh, uint8_t type, uint16_t flags, uint32_t seq, uint8_t family) {
  nlh->nlmsg_type = static_cast<uint16_t>((NFNL_SUBSYS_CTNETLINK << 8) | type);
  nlh->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
  nlh->nlmsg_seq = seq;
  auto* nfh = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
  nfh->nfgen_family = family;
  nfh->version = NFNETLINK_V0;
  nfh->res_id = 0;
}

std::optional<IpAddress> getAddress(const nf_conntrack* ct, uint8_t l3, nf_conntrack_attr v4,
                                    nf_conntrack_attr v6) {
  const bool isV4 = l3 == AF_INET;
  if (!isV4 && l3 != AF_INET6) return std::nullopt;
  const nf_conntrack_attr attr = isV4 ? v4 : v6;
  if (nfct_attr_is_set(ct, attr) <= 0) return std::nullopt;
  const void* raw = nfct_get_attr(ct, attr);
  if (raw == nullptr) return std::nullopt;
  return IpAddress::fromBytes(isV4 ? Family::kV4 : Family::kV6, static_cast<const uint8_t*>(raw));
}

std::optional<FlowTuple> getTuple(const nf_conntrack* ct, const TupleAttrs& at) {
  if (nfct_attr_is_set(ct, at.l3) <= 0) return std::nullopt;
  const uint8_t l3 = nfct_get_attr_u8(ct, at.l3);
  auto src = getAddress(ct, l3, at.v4Src, at.v6Src);
  auto dst = getAddress(ct, l3, at.v4Dst, at.v6Dst);
  if (!src || !dst || nfct_attr_is_set(ct, at.portSrc) <= 0 ||
      nfct_attr_is_set(ct, at.portDst) <= 0) {
    return std::nullopt;
  }
  return FlowTuple{*src, *dst, ntohs(nfct_get_attr_u16(ct, at.portSrc)),
                   ntohs(nfct_get_attr_u16(ct, at.portDst))};
}

}  // namespace

bool needsSnat(const FlowEntry& entry) {
  return entry.reply.dst != entry.original.src || entry.reply.dstPort != entry.original.srcPort;
}

bool buildUpsert(nlmsghdr* nlh, const FlowEntry& e, UpsertKind kind, uint32_t seq) {
  if ((e.l4proto != kProtoTcp && e.l4proto != kProtoUdp) || !sameFamily(e)) return false;
  ConntrackPtr ct(nfct_new());
  if (!ct) return false;
  const bool v4 = e.original.src.isV4();
  setTuple(ct.get(), kOrig, e.l4proto, e.original);
  if (kind == UpsertKind::kCreate) {
    // The kernel computes the NATed reply tuple itself. Measured (test_sync_conntrack.sh): a reply
    // tuple without bindings is not NATed, and one given already NATed *with* the bindings is not
    // either: nf_nat_setup_info() sets IPS_{SRC,DST}_NAT only when the binding changes the reply
    // tuple it is given, and nf_nat_packet() rewrites only on those bits (NAT_DONE alone does
    // nothing; CTA_STATUS cannot set them). So the reply tuple sent is the un-NATed inverse of the
    // original; the bindings turn it into e.reply, and the echo (NLM_F_ECHO) shows what we got.
    const FlowTuple unNated{e.original.dst, e.original.src, e.original.dstPort, e.original.srcPort};
    setTuple(ct.get(), kRepl, e.l4proto, unNated);
    setAddress(ct.get(), ATTR_DNAT_IPV4, ATTR_DNAT_IPV6, e.reply.src);
    nfct_set_attr_u16(ct.get(), ATTR_DNAT_PORT, htons(e.reply.srcPort));
    if (needsSnat(e)) {
      setAddress(ct.get(), ATTR_SNAT_IPV4, ATTR_SNAT_IPV6, e.reply.dst);
      nfct_set_attr_u16(ct.get(), ATTR_SNAT_PORT, htons(e.reply.dstPort));
    }
  }
  // Status bits only ever get set: on an existing entry, asking for fewer bits than it has is
  // refused (EBUSY), so an update sends them only when it asks for all of them.
  const uint32_t status = e.status & kSyncedStatusBits;
  if (kind == UpsertKind::kCreate || status == kSyncedStatusBits) {
    nfct_set_attr_u32(ct.get(), ATTR_STATUS, status);
  }
  if (e.l4proto == kProtoTcp) {
    // 0 (NONE) means "not reported" (an update event without protoinfo): leave the state alone.
    if (e.tcpState != 0 && e.tcpState <= kTcpStateMax) {
      nfct_set_attr_u8(ct.get(), ATTR_TCP_STATE, e.tcpState);
    }
    // The window of a flow picked up mid-stream is unknown (no window scale seen): be liberal, as
    // conntrackd does for recovered flows, or segments past the guessed window are INVALID.
    const uint8_t flags = IP_CT_TCP_FLAG_BE_LIBERAL | IP_CT_TCP_FLAG_SACK_PERM;
    nfct_set_attr_u8(ct.get(), ATTR_TCP_FLAGS_ORIG, flags);
    nfct_set_attr_u8(ct.get(), ATTR_TCP_MASK_ORIG, flags);
    nfct_set_attr_u8(ct.get(), ATTR_TCP_FLAGS_REPL, flags);
    nfct_set_attr_u8(ct.get(), ATTR_TCP_MASK_REPL, flags);
  }
  if (e.timeoutSeconds != 0) nfct_set_attr_u32(ct.get(), ATTR_TIMEOUT, e.timeoutSeconds);
  nfct_set_attr_u32(ct.get(), ATTR_MARK, e.mark);
  // The echo of a create carries the reply tuple the kernel chose (seq 0: matched by key).
  const int flags =
      kind == UpsertKind::kCreate ? NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK | NLM_F_ECHO : NLM_F_ACK;
  putHeader(nlh, IPCTNL_MSG_CT_NEW, static_cast<uint16_t>(flags), seq, v4 ? AF_INET : AF_INET6);
  return nfct_nlmsg_build(nlh, ct.get()) >= 0;
}

namespace {

bool buildByOriginal(nlmsghdr* nlh, const FlowEntry& e, uint8_t type, uint32_t seq,
                     std::optional<uint32_t> id) {
  if ((e.l4proto != kProtoTcp && e.l4proto != kProtoUdp) ||
      e.original.src.family() != e.original.dst.family()) {
    return false;
  }
  ConntrackPtr ct(nfct_new());
  if (!ct) return false;
  setTuple(ct.get(), kOrig, e.l4proto, e.original);
  putHeader(nlh, type, NLM_F_ACK, seq, e.original.src.isV4() ? AF_INET : AF_INET6);
  if (nfct_nlmsg_build(nlh, ct.get()) < 0) return false;
  // Put by hand: nfct_nlmsg_build() leaves ATTR_ID out (measured, netlink_conntrack_codec_test).
  if (id) mnl_attr_put_u32(nlh, CTA_ID, htonl(*id));
  return true;
}

}  // namespace

bool buildRemove(nlmsghdr* nlh, const FlowEntry& e, uint32_t seq, std::optional<uint32_t> id) {
  return buildByOriginal(nlh, e, IPCTNL_MSG_CT_DELETE, seq, id);
}

bool buildGet(nlmsghdr* nlh, const FlowEntry& e, uint32_t seq) {
  return buildByOriginal(nlh, e, IPCTNL_MSG_CT_GET, seq, std::nullopt);
}

void buildDump(nlmsghdr* nlh, uint32_t seq) {
  putHeader(nlh, IPCTNL_MSG_CT_GET, NLM_F_DUMP, seq, AF_UNSPEC);
  // Filtered in the kernel (CTA_MARK + CTA_MARK_MASK): a busy table is not copied whole.
  mnl_attr_put_u32(nlh, CTA_MARK, htonl(kMarkTag));
  mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(kMarkTagMask));
}

std::optional<FlowEntry> parseEntry(const nlmsghdr* nlh) {
  auto parsed = parseKernelEntry(nlh);
  if (!parsed) return std::nullopt;
  return parsed->flow;
}

std::optional<KernelEntry> parseKernelEntry(const nlmsghdr* nlh) {
  ConntrackPtr ct(nfct_new());
  if (!ct || nfct_nlmsg_parse(nlh, ct.get()) < 0) return std::nullopt;
  if (nfct_attr_is_set(ct.get(), ATTR_ORIG_L4PROTO) <= 0) return std::nullopt;
  FlowEntry e;
  e.l4proto = nfct_get_attr_u8(ct.get(), ATTR_ORIG_L4PROTO);
  if (e.l4proto != kProtoTcp && e.l4proto != kProtoUdp) return std::nullopt;
  auto orig = getTuple(ct.get(), kOrig);
  auto repl = getTuple(ct.get(), kRepl);
  if (!orig || !repl) return std::nullopt;
  e.original = *orig;
  e.reply = *repl;
  if (nfct_attr_is_set(ct.get(), ATTR_STATUS) > 0) {
    e.status = nfct_get_attr_u32(ct.get(), ATTR_STATUS) & kSyncedStatusBits;
  }
  if (e.l4proto == kProtoTcp && nfct_attr_is_set(ct.get(), ATTR_TCP_STATE) > 0) {
    e.tcpState = nfct_get_attr_u8(ct.get(), ATTR_TCP_STATE);
  }
  if (nfct_attr_is_set(ct.get(), ATTR_TIMEOUT) > 0) {
    e.timeoutSeconds = nfct_get_attr_u32(ct.get(), ATTR_TIMEOUT);
  }
  if (nfct_attr_is_set(ct.get(), ATTR_MARK) > 0) e.mark = nfct_get_attr_u32(ct.get(), ATTR_MARK);
  KernelEntry out{e, std::nullopt, std::nullopt};
  if (nfct_attr_is_set(ct.get(), ATTR_ID) > 0) out.id = nfct_get_attr_u32(ct.get(), ATTR_ID);
  if (nfct_attr_is_set(ct.get(), ATTR_ORIG_COUNTER_BYTES) > 0) {
    auto counter = [&](nf_conntrack_attr attr) -> uint64_t {
      return nfct_attr_is_set(ct.get(), attr) > 0 ? nfct_get_attr_u64(ct.get(), attr) : 0;
    };
    out.accounting = KernelEntry::Accounting{
        {counter(ATTR_ORIG_COUNTER_PACKETS), counter(ATTR_ORIG_COUNTER_BYTES)},
        {counter(ATTR_REPL_COUNTER_PACKETS), counter(ATTR_REPL_COUNTER_BYTES)}};
  }
  return out;
}

}  // namespace ha::conntrack::ctnl
