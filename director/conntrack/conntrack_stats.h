#pragma once
// This namespace's conntrack table as the kernel counts it: entries against
// nf_conntrack_max, and the per-CPU statistics `conntrack -S` prints, summed
// over CPUs. Read over ctnetlink (IPCTNL_MSG_CT_GET_STATS and _GET_STATS_CPU)
// with libmnl: libnetfilter_conntrack has no call for them. The count and the
// statistics are per network namespace; on kernels where nf_conntrack_max is
// not (read-only in a child namespace, as on 6.18), the max is the global one.
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

struct nlmsghdr;

namespace ha::director {

struct ConntrackStats {
  uint64_t entries = 0;
  uint64_t max = 0;
  // Cumulative since the namespace's conntrack started. `drop`: packets dropped
  // for want of an entry (table full and nothing to evict); `earlyDrop`:
  // unassured entries evicted to make room.
  uint64_t found = 0;
  uint64_t invalid = 0;
  uint64_t insert = 0;
  uint64_t insertFailed = 0;
  uint64_t drop = 0;
  uint64_t earlyDrop = 0;
  uint64_t error = 0;
  uint64_t searchRestart = 0;
  uint64_t clashResolve = 0;
  uint64_t chainTooLong = 0;
};

// The statistics by `conntrack -S`'s names, in its order.
std::vector<std::pair<std::string_view, uint64_t>> namedCounters(const ConntrackStats& stats);

// Pure parsers of one ctnetlink reply (kernel replies are untrusted: a short or
// foreign message, or an attribute of the wrong size, is skipped and reported
// false, never trusted). A per-CPU statistics message
// (IPCTNL_MSG_CT_GET_STATS_CPU): its counters are added to `stats`.
bool addCpuStats(const nlmsghdr* message, ConntrackStats& stats);
// The global message (IPCTNL_MSG_CT_GET_STATS): sets entries and, when the
// kernel sends it, max.
bool readGlobalStats(const nlmsghdr* message, ConntrackStats& stats);

// May be called from any thread: each call opens its own netlink socket.
class ConntrackStatsPort {
 public:
  virtual ~ConntrackStatsPort() = default;
  virtual Result<ConntrackStats> stats() = 0;
};

// The current network namespace's table; the max falls back to /proc/sys when
// the kernel's reply lacks CTA_STATS_GLOBAL_MAX_ENTRIES (kernels before 5.7).
class NetlinkConntrackStats final : public ConntrackStatsPort {
 public:
  Result<ConntrackStats> stats() override;
};

}  // namespace ha::director
