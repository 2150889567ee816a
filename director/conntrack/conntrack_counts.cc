#include "director/conntrack/conntrack_counts.h"

#include <arpa/inet.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "common/flow_mark.h"

namespace ha::director {

static_assert(kTcpConntrackEstablished == TCP_CONNTRACK_ESTABLISHED);
static_assert(kIpsSeenReply == IPS_SEEN_REPLY);
static_assert(kIpsAssured == IPS_ASSURED);

bool countEntry(const ConntrackEntry& entry, ConnCountMap& counts) {
  if ((entry.mark & kMarkTagMask) != kMarkTag) return false;
  bool active = false;
  if (entry.l4proto == IPPROTO_TCP) {
    active = entry.tcpState == kTcpConntrackEstablished;
  } else if (entry.l4proto == IPPROTO_UDP) {
    active = (entry.status & (kIpsAssured | kIpsSeenReply)) != 0;
  } else {
    return false;  // services are TCP or UDP only; a foreign flow reusing our tag is not ours
  }
  ConnCounts& c = counts[ConnCountKey{entry.mark & kMaxServiceId,
                                      Endpoint{entry.replySource, entry.replySourcePort}}];
  ++(active ? c.active : c.inactive);
  return true;
}

namespace {

struct DumpContext {
  ConnCountMap counts;
};

struct HandleCloser {
  void operator()(nfct_handle* h) const { nfct_close(h); }
};
struct FilterDestroyer {
  void operator()(nfct_filter_dump* f) const { nfct_filter_dump_destroy(f); }
};
struct ConntrackDestroyer {
  void operator()(nf_conntrack* ct) const { nfct_destroy(ct); }
};
using HandlePtr = std::unique_ptr<nfct_handle, HandleCloser>;
using ConntrackPtr = std::unique_ptr<nf_conntrack, ConntrackDestroyer>;

// After DNAT the reply tuple's source is the real the flow went to. Kernel replies are untrusted:
// an entry without the attributes is skipped, not fatal.
std::optional<Endpoint> replySource(const nf_conntrack* ct) {
  const uint8_t l3 = nfct_get_attr_u8(ct, ATTR_REPL_L3PROTO);
  const void* src = nullptr;
  Endpoint e;
  if (l3 == AF_INET) {
    src = nfct_get_attr(ct, ATTR_REPL_IPV4_SRC);
    if (src != nullptr) e.address = IpAddress::fromBytes(Family::kV4, static_cast<const uint8_t*>(src));
  } else if (l3 == AF_INET6) {
    src = nfct_get_attr(ct, ATTR_REPL_IPV6_SRC);
    if (src != nullptr) e.address = IpAddress::fromBytes(Family::kV6, static_cast<const uint8_t*>(src));
  }
  if (src == nullptr || nfct_attr_is_set(ct, ATTR_REPL_PORT_SRC) <= 0) return std::nullopt;
  e.port = ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_SRC));
  return e;
}

int onEntry(enum nf_conntrack_msg_type /*type*/, struct nf_conntrack* ct, void* data) {
  auto* ctx = static_cast<DumpContext*>(data);
  auto real = replySource(ct);
  if (!real) return NFCT_CB_CONTINUE;
  ConntrackEntry e;
  e.mark = nfct_get_attr_u32(ct, ATTR_MARK);
  e.l4proto = nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO);
  e.replySource = real->address;
  e.replySourcePort = real->port;
  if (nfct_attr_is_set(ct, ATTR_TCP_STATE) > 0) e.tcpState = nfct_get_attr_u8(ct, ATTR_TCP_STATE);
  e.status = nfct_get_attr_u32(ct, ATTR_STATUS);
  countEntry(e, ctx->counts);
  return NFCT_CB_CONTINUE;
}

struct DeleteContext {
  std::set<FlowOwner> owners;
  std::vector<ConntrackPtr> doomed;
};

int onDoomedCandidate(enum nf_conntrack_msg_type /*type*/, struct nf_conntrack* ct, void* data) {
  auto* ctx = static_cast<DeleteContext*>(data);
  auto real = replySource(ct);
  if (!real) return NFCT_CB_CONTINUE;
  FlowOwner owner{nfct_get_attr_u32(ct, ATTR_MARK) & kMaxServiceId, nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO), *real};
  if (ctx->owners.count(owner) == 0) return NFCT_CB_CONTINUE;
  // The dump's entry is freed after the callback; keep a copy to destroy after the dump.
  if (ConntrackPtr copy{nfct_clone(ct)}) ctx->doomed.push_back(std::move(copy));
  return NFCT_CB_CONTINUE;
}

// Dumps our flows only (the kernel filters on the mark tag, so a busy table is not copied whole),
// handing each to `callback`.
Status dumpOurFlows(nfct_handle* handle, int (*callback)(nf_conntrack_msg_type, nf_conntrack*, void*), void* data) {
  std::unique_ptr<nfct_filter_dump, FilterDestroyer> filter(nfct_filter_dump_create());
  if (!filter) return Error{"conntrack: out of memory building the dump filter"};
  nfct_filter_dump_mark mark{};
  mark.val = kMarkTag;
  mark.mask = kMarkTagMask;
  nfct_filter_dump_set_attr(filter.get(), NFCT_FILTER_DUMP_MARK, &mark);
  if (nfct_callback_register(handle, NFCT_T_ALL, callback, data) < 0) {
    return Error{std::string("conntrack: cannot register dump callback: ") + std::strerror(errno)};
  }
  if (nfct_query(handle, NFCT_Q_DUMP_FILTER, filter.get()) < 0) {
    return Error{std::string("conntrack: dump failed: ") + std::strerror(errno)};
  }
  return okStatus();
}

Result<HandlePtr> openConntrack() {
  HandlePtr handle(nfct_open(CONNTRACK, 0));
  if (!handle) return Error{std::string("conntrack: cannot open netlink socket: ") + std::strerror(errno)};
  return handle;
}

}  // namespace

Result<ConnCountMap> NetfilterConntrack::count() {
  auto handle = openConntrack();
  if (!handle) return Error{handle.error()};
  DumpContext ctx;
  if (auto st = dumpOurFlows(handle.value().get(), onEntry, &ctx); !st) return Error{st.error()};
  return std::move(ctx.counts);
}

Result<uint64_t> NetfilterConntrack::deleteFlows(const std::vector<FlowOwner>& owners) {
  if (owners.empty()) return uint64_t{0};
  auto handle = openConntrack();
  if (!handle) return Error{handle.error()};
  DeleteContext ctx{std::set<FlowOwner>(owners.begin(), owners.end()), {}};
  // One dump for the whole batch: a mass failure costs one walk of the table.
  if (auto st = dumpOurFlows(handle.value().get(), onDoomedCandidate, &ctx); !st) return Error{st.error()};
  uint64_t deleted = 0;
  for (const auto& ct : ctx.doomed) {
    // ENOENT: the flow ended between the dump and now, which is what we wanted anyway.
    if (nfct_query(handle.value().get(), NFCT_Q_DESTROY, ct.get()) == 0) ++deleted;
    else if (errno != ENOENT) return Error{std::string("conntrack: delete failed: ") + std::strerror(errno)};
  }
  return deleted;
}

}  // namespace ha::director
