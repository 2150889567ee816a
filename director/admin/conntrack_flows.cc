// Deleting the flows of a real that failed its checks (DESIGN.md: "its conntrack entries are
// deleted so its clients learn at once").
#include <arpa/inet.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "director/admin/conntrack_counts.h"
#include "director/nft/names.h"

namespace ha::director {
namespace {

struct HandleCloser {
  void operator()(nfct_handle* h) const { nfct_close(h); }
};
struct FilterDestroyer {
  void operator()(nfct_filter_dump* f) const { nfct_filter_dump_destroy(f); }
};
struct ConntrackDestroyer {
  void operator()(nf_conntrack* ct) const { nfct_destroy(ct); }
};
using ConntrackPtr = std::unique_ptr<nf_conntrack, ConntrackDestroyer>;

struct Match {
  std::set<FlowOwner> owners;
  std::vector<ConntrackPtr> doomed;
};

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

int collect(enum nf_conntrack_msg_type /*type*/, struct nf_conntrack* ct, void* data) {
  auto* match = static_cast<Match*>(data);
  auto real = replySource(ct);
  if (!real) return NFCT_CB_CONTINUE;
  FlowOwner owner{nfct_get_attr_u32(ct, ATTR_MARK) & nft::kMaxServiceId, nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO), *real};
  if (match->owners.count(owner) == 0) return NFCT_CB_CONTINUE;
  // The dump's entry is freed after the callback; keep a copy to destroy after the dump.
  if (ConntrackPtr copy{nfct_clone(ct)}) match->doomed.push_back(std::move(copy));
  return NFCT_CB_CONTINUE;
}

}  // namespace

Result<uint64_t> NetfilterConntrack::deleteFlows(const std::vector<FlowOwner>& owners) {
  if (owners.empty()) return uint64_t{0};
  std::unique_ptr<nfct_handle, HandleCloser> handle(nfct_open(CONNTRACK, 0));
  if (!handle) return Error{std::string("conntrack: cannot open netlink socket: ") + std::strerror(errno)};
  std::unique_ptr<nfct_filter_dump, FilterDestroyer> filter(nfct_filter_dump_create());
  if (!filter) return Error{"conntrack: out of memory building the dump filter"};
  // Ours only (the kernel filters), so a table full of other flows is not copied to us.
  nfct_filter_dump_mark mark{};
  mark.val = nft::kMarkTag;
  mark.mask = nft::kMarkTagMask;
  nfct_filter_dump_set_attr(filter.get(), NFCT_FILTER_DUMP_MARK, &mark);

  Match match{std::set<FlowOwner>(owners.begin(), owners.end()), {}};
  if (nfct_callback_register(handle.get(), NFCT_T_ALL, collect, &match) < 0) {
    return Error{std::string("conntrack: cannot register dump callback: ") + std::strerror(errno)};
  }
  if (nfct_query(handle.get(), NFCT_Q_DUMP_FILTER, filter.get()) < 0) {
    return Error{std::string("conntrack: dump failed: ") + std::strerror(errno)};
  }
  uint64_t deleted = 0;
  for (const auto& ct : match.doomed) {
    // ENOENT: the flow ended between the dump and now, which is what we wanted anyway.
    if (nfct_query(handle.get(), NFCT_Q_DESTROY, ct.get()) == 0) ++deleted;
    else if (errno != ENOENT) return Error{std::string("conntrack: delete failed: ") + std::strerror(errno)};
  }
  return deleted;
}

}  // namespace ha::director
