#include "director/conntrack/conntrack_stats.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>

namespace ha::director {
namespace {

struct SocketCloser {
  void operator()(mnl_socket* s) const { mnl_socket_close(s); }
};
using SocketPtr = std::unique_ptr<mnl_socket, SocketCloser>;

bool isCtnetlink(const nlmsghdr* message, uint16_t type) {
  if (message->nlmsg_len < NLMSG_HDRLEN + sizeof(nfgenmsg)) return false;
  return (message->nlmsg_type >> 8) == NFNL_SUBSYS_CTNETLINK &&
         (message->nlmsg_type & 0xff) == type;
}

// CTA_STATS_* and CTA_STATS_GLOBAL_* are all big-endian u32; anything else is
// ignored.
template <size_t N>
struct AttrTable {
  std::array<const nlattr*, N> attrs{};
};

template <size_t N>
int collect(const nlattr* attr, void* data) {
  auto* table = static_cast<AttrTable<N>*>(data);
  const auto type = mnl_attr_get_type(attr);
  if (type >= N) return MNL_CB_OK;
  if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0) return MNL_CB_OK;  // wrong size: skipped
  table->attrs[type] = attr;
  return MNL_CB_OK;
}

template <size_t N>
uint64_t u32At(const AttrTable<N>& table, size_t type) {
  const nlattr* a = table.attrs[type];
  return a == nullptr ? 0 : ntohl(mnl_attr_get_u32(a));
}

Result<uint64_t> maxFromProc() {
  std::ifstream in("/proc/sys/net/netfilter/nf_conntrack_max");
  uint64_t max = 0;
  if (!(in >> max)) return Error{"conntrack: cannot read /proc/sys/net/netfilter/nf_conntrack_max"};
  return max;
}

struct Query {
  uint16_t type;
  bool dump;
};

int onCpu(const nlmsghdr* message, void* data) {
  addCpuStats(message, *static_cast<ConntrackStats*>(data));
  return MNL_CB_OK;
}

int onGlobal(const nlmsghdr* message, void* data) {
  readGlobalStats(message, *static_cast<ConntrackStats*>(data));
  return MNL_CB_OK;
}

Status run(mnl_socket* socket, Query query, uint32_t seq, mnl_cb_t callback,
           ConntrackStats& stats) {
  std::vector<char> buffer(static_cast<size_t>(MNL_SOCKET_BUFFER_SIZE));
  nlmsghdr* request = mnl_nlmsg_put_header(buffer.data());
  request->nlmsg_type = static_cast<uint16_t>((NFNL_SUBSYS_CTNETLINK << 8) | query.type);
  request->nlmsg_flags =
      static_cast<uint16_t>(NLM_F_REQUEST | (query.dump ? NLM_F_DUMP : NLM_F_ACK));
  request->nlmsg_seq = seq;
  auto* header = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(request, sizeof(nfgenmsg)));
  header->nfgen_family = AF_UNSPEC;
  header->version = NFNETLINK_V0;
  header->res_id = 0;
  if (mnl_socket_sendto(socket, request, request->nlmsg_len) < 0) {
    return Error{std::string("conntrack statistics: send: ") + std::strerror(errno)};
  }
  const uint32_t portid = mnl_socket_get_portid(socket);
  while (true) {
    const ssize_t n = mnl_socket_recvfrom(socket, buffer.data(), buffer.size());
    if (n < 0) return Error{std::string("conntrack statistics: receive: ") + std::strerror(errno)};
    const int rc = mnl_cb_run(buffer.data(), static_cast<size_t>(n), seq, portid, callback, &stats);
    if (rc == MNL_CB_STOP) return okStatus();
    if (rc < 0) return Error{std::string("conntrack statistics: ") + std::strerror(errno)};
  }
}

}  // namespace

std::vector<std::pair<std::string_view, uint64_t>> namedCounters(const ConntrackStats& s) {
  return {{"found", s.found},
          {"invalid", s.invalid},
          {"insert", s.insert},
          {"insert_failed", s.insertFailed},
          {"drop", s.drop},
          {"early_drop", s.earlyDrop},
          {"error", s.error},
          {"search_restart", s.searchRestart},
          {"clash_resolve", s.clashResolve},
          {"chaintoolong", s.chainTooLong}};
}

bool addCpuStats(const nlmsghdr* message, ConntrackStats& stats) {
  if (!isCtnetlink(message, IPCTNL_MSG_CT_GET_STATS_CPU)) return false;
  AttrTable<CTA_STATS_MAX + 1> t;
  if (mnl_attr_parse(message, sizeof(nfgenmsg), collect<CTA_STATS_MAX + 1>, &t) < 0) return false;
  stats.found += u32At(t, CTA_STATS_FOUND);
  stats.invalid += u32At(t, CTA_STATS_INVALID);
  stats.insert += u32At(t, CTA_STATS_INSERT);
  stats.insertFailed += u32At(t, CTA_STATS_INSERT_FAILED);
  stats.drop += u32At(t, CTA_STATS_DROP);
  stats.earlyDrop += u32At(t, CTA_STATS_EARLY_DROP);
  stats.error += u32At(t, CTA_STATS_ERROR);
  stats.searchRestart += u32At(t, CTA_STATS_SEARCH_RESTART);
  stats.clashResolve += u32At(t, CTA_STATS_CLASH_RESOLVE);
  stats.chainTooLong += u32At(t, CTA_STATS_CHAIN_TOOLONG);
  return true;
}

bool readGlobalStats(const nlmsghdr* message, ConntrackStats& stats) {
  if (!isCtnetlink(message, IPCTNL_MSG_CT_GET_STATS)) return false;
  AttrTable<CTA_STATS_GLOBAL_MAX + 1> t;
  if (mnl_attr_parse(message, sizeof(nfgenmsg), collect<CTA_STATS_GLOBAL_MAX + 1>, &t) < 0)
    return false;
  if (t.attrs[CTA_STATS_GLOBAL_ENTRIES] == nullptr) return false;
  stats.entries = u32At(t, CTA_STATS_GLOBAL_ENTRIES);
  if (t.attrs[CTA_STATS_GLOBAL_MAX_ENTRIES] != nullptr)
    stats.max = u32At(t, CTA_STATS_GLOBAL_MAX_ENTRIES);
  return true;
}

Result<ConntrackStats> NetlinkConntrackStats::stats() {
  SocketPtr socket(mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC));
  if (!socket) return Error{std::string("conntrack statistics: socket: ") + std::strerror(errno)};
  if (mnl_socket_bind(socket.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
    return Error{std::string("conntrack statistics: bind: ") + std::strerror(errno)};
  }
  ConntrackStats stats;
  if (auto st = run(socket.get(), {IPCTNL_MSG_CT_GET_STATS_CPU, true}, 1, onCpu, stats); !st)
    return Error{st.error()};
  if (auto st = run(socket.get(), {IPCTNL_MSG_CT_GET_STATS, false}, 2, onGlobal, stats); !st)
    return Error{st.error()};
  if (stats.max == 0) {
    auto max = maxFromProc();
    if (!max) return Error{max.error()};
    stats.max = max.value();
  }
  return stats;
}

}  // namespace ha::director
