// Deleting the flows of a real that failed its checks (DESIGN.md: "its conntrack entries are
// deleted so its clients learn at once").
#include <arpa/inet.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>
#include <memory>
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
  uint8_t l4proto = 0;
  Endpoint real;
  std::vector<ConntrackPtr> doomed;
};

bool replySourceIs(const nf_conntrack* ct, const Endpoint& real) {
  const uint8_t l3 = nfct_get_attr_u8(ct, ATTR_REPL_L3PROTO);
  const void* src = nullptr;
  if (l3 == AF_INET && real.address.isV4()) {
    src = nfct_get_attr(ct, ATTR_REPL_IPV4_SRC);
    if (src == nullptr) return false;
    if (IpAddress::fromBytes(Family::kV4, static_cast<const uint8_t*>(src)) != real.address) return false;
  } else if (l3 == AF_INET6 && !real.address.isV4()) {
    src = nfct_get_attr(ct, ATTR_REPL_IPV6_SRC);
    if (src == nullptr) return false;
    if (IpAddress::fromBytes(Family::kV6, static_cast<const uint8_t*>(src)) != real.address) return false;
  } else {
    return false;
  }
  if (nfct_attr_is_set(ct, ATTR_REPL_PORT_SRC) <= 0) return false;
  return ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_SRC)) == real.port;
}

int collect(enum nf_conntrack_msg_type /*type*/, struct nf_conntrack* ct, void* data) {
  auto* match = static_cast<Match*>(data);
  if (nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO) != match->l4proto) return NFCT_CB_CONTINUE;
  if (!replySourceIs(ct, match->real)) return NFCT_CB_CONTINUE;
  // The dump's entry is freed after the callback; keep a copy to destroy after the dump.
  if (ConntrackPtr copy{nfct_clone(ct)}) match->doomed.push_back(std::move(copy));
  return NFCT_CB_CONTINUE;
}

}  // namespace

Result<uint64_t> NetfilterConntrack::deleteFlows(uint32_t serviceId, uint8_t l4proto, const Endpoint& real) {
  std::unique_ptr<nfct_handle, HandleCloser> handle(nfct_open(CONNTRACK, 0));
  if (!handle) return Error{std::string("conntrack: cannot open netlink socket: ") + std::strerror(errno)};
  std::unique_ptr<nfct_filter_dump, FilterDestroyer> filter(nfct_filter_dump_create());
  if (!filter) return Error{"conntrack: out of memory building the dump filter"};
  nfct_filter_dump_mark mark{};
  mark.val = nft::serviceMark(serviceId);
  mark.mask = 0xffffffffu;
  nfct_filter_dump_set_attr(filter.get(), NFCT_FILTER_DUMP_MARK, &mark);
  nfct_filter_dump_set_attr_u8(filter.get(), NFCT_FILTER_DUMP_L3NUM, real.address.isV4() ? AF_INET : AF_INET6);

  Match match{l4proto, real, {}};
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
