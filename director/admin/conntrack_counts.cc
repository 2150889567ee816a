#include "director/admin/conntrack_counts.h"

#include <arpa/inet.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "director/nft/names.h"

namespace ha::director {

static_assert(kTcpConntrackEstablished == TCP_CONNTRACK_ESTABLISHED);
static_assert(kIpsSeenReply == IPS_SEEN_REPLY);
static_assert(kIpsAssured == IPS_ASSURED);

bool countEntry(const ConntrackEntry& entry, ConnCountMap& counts) {
  if ((entry.mark & nft::kMarkTagMask) != nft::kMarkTag) return false;
  bool active = false;
  if (entry.l4proto == IPPROTO_TCP) {
    active = entry.tcpState == kTcpConntrackEstablished;
  } else if (entry.l4proto == IPPROTO_UDP) {
    active = (entry.status & (kIpsAssured | kIpsSeenReply)) != 0;
  } else {
    return false;  // services are TCP or UDP only; a foreign flow reusing our tag is not ours
  }
  ConnCounts& c = counts[ConnCountKey{entry.mark & nft::kMaxServiceId,
                                      Endpoint{entry.replySource, entry.replySourcePort}}];
  ++(active ? c.active : c.inactive);
  return true;
}

namespace {

struct DumpContext {
  ConnCountMap counts;
};

// Kernel replies are untrusted: an entry without the attributes we need is skipped, not fatal.
int onEntry(enum nf_conntrack_msg_type /*type*/, struct nf_conntrack* ct, void* data) {
  auto* ctx = static_cast<DumpContext*>(data);
  ConntrackEntry e;
  e.mark = nfct_get_attr_u32(ct, ATTR_MARK);
  e.l4proto = nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO);
  const uint8_t l3 = nfct_get_attr_u8(ct, ATTR_REPL_L3PROTO);
  const void* src = nullptr;
  if (l3 == AF_INET) {
    src = nfct_get_attr(ct, ATTR_REPL_IPV4_SRC);
    if (src) e.replySource = IpAddress::fromBytes(Family::kV4, static_cast<const uint8_t*>(src));
  } else if (l3 == AF_INET6) {
    src = nfct_get_attr(ct, ATTR_REPL_IPV6_SRC);
    if (src) e.replySource = IpAddress::fromBytes(Family::kV6, static_cast<const uint8_t*>(src));
  }
  if (!src || nfct_attr_is_set(ct, ATTR_REPL_PORT_SRC) <= 0) return NFCT_CB_CONTINUE;
  e.replySourcePort = ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_SRC));
  if (nfct_attr_is_set(ct, ATTR_TCP_STATE) > 0) e.tcpState = nfct_get_attr_u8(ct, ATTR_TCP_STATE);
  e.status = nfct_get_attr_u32(ct, ATTR_STATUS);
  countEntry(e, ctx->counts);
  return NFCT_CB_CONTINUE;
}

struct HandleCloser {
  void operator()(nfct_handle* h) const { nfct_close(h); }
};
struct FilterDestroyer {
  void operator()(nfct_filter_dump* f) const { nfct_filter_dump_destroy(f); }
};

}  // namespace

Result<ConnCountMap> NetfilterConntrack::count() {
  std::unique_ptr<nfct_handle, HandleCloser> handle(nfct_open(CONNTRACK, 0));
  if (!handle) {
    return Error{std::string("conntrack: cannot open netlink socket: ") + std::strerror(errno)};
  }
  std::unique_ptr<nfct_filter_dump, FilterDestroyer> filter(nfct_filter_dump_create());
  if (!filter) return Error{"conntrack: out of memory building the dump filter"};
  nfct_filter_dump_mark mark{};
  mark.val = nft::kMarkTag;
  mark.mask = nft::kMarkTagMask;
  nfct_filter_dump_set_attr(filter.get(), NFCT_FILTER_DUMP_MARK, &mark);

  DumpContext ctx;
  if (nfct_callback_register(handle.get(), NFCT_T_ALL, onEntry, &ctx) < 0) {
    return Error{std::string("conntrack: cannot register dump callback: ") + std::strerror(errno)};
  }
  if (nfct_query(handle.get(), NFCT_Q_DUMP_FILTER, filter.get()) < 0) {
    return Error{std::string("conntrack: dump failed: ") + std::strerror(errno)};
  }
  return std::move(ctx.counts);
}

}  // namespace ha::director
