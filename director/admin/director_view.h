#pragma once
// What the admin API may ask of the running node, in model types. The node answers on its own
// io_context thread and hands back copies; the admin codec converts them to proto.
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "director/admin/conntrack_stats.h"
#include "director/plan/flow_oracle.h"
#include "director/plan/forwarding_plan.h"
#include "healthcheck/control.h"
#include "sync/sync_snapshot.h"
#include "vrrp/router.h"

namespace ha::director {

struct TrafficCounters {
  uint64_t conns = 0;
  uint64_t inPackets = 0;   // client -> real direction
  uint64_t outPackets = 0;  // real -> client direction
  uint64_t inBytes = 0;
  uint64_t outBytes = 0;
  TrafficCounters& operator+=(const TrafficCounters& o);
};

struct RealSnapshot {
  PlannedReal real;
  TrafficCounters counters;
  uint64_t activeConns = 0;    // conntrack: TCP ESTABLISHED, or UDP seen both ways
  uint64_t inactiveConns = 0;  // every other conntrack state
  // The health thread's view: verdict, reason, and each checker's last result and counters.
  // nullopt when the real has no checkers (always up) or health checks are not running.
  std::optional<healthcheck::RealStatus> health;
};

struct ServiceSnapshot {
  ServicePlan plan;  // slots cleared to keep snapshots small
  std::string laddrGroup;
  std::vector<RealSnapshot> reals;
  TrafficCounters counters;  // sum over reals; conns from the service chain's counter
};

struct DirectorSnapshot {
  uint32_t hashSeed = 0;
  std::vector<ServiceSnapshot> services;
  // Health-check totals (HealthSnapshot without the per-real parts, which are on the reals).
  uint64_t distinctProbes = 0;
  uint64_t probesRun = 0;
  uint64_t probesInFlight = 0;
};

// The node's conntrack table (director/node/conntrack_watch.h): the last sample and what it means.
struct ConntrackStatus {
  std::string error;  // the last read failed: why ("" when it worked)
  std::optional<ConntrackStats> kernel;      // the last sample, as the kernel counts
  std::optional<ConntrackStats> sinceStart;  // its counters since directord's first sample
  std::string pressure;                      // "" = none
  std::optional<uint64_t> lastDropAgeMs;
  uint64_t pressureEpisodes = 0;
  uint64_t inconclusiveResults = 0;  // health results held because of the pressure
  std::optional<uint64_t> sampleAgeMs;
};

class DirectorView {
 public:
  virtual ~DirectorView() = default;
  virtual DirectorSnapshot snapshot() = 0;
  virtual FlowAnswer lookup(const FlowQuery& query) = 0;
  // Empty when the config has no vrrp_instance.
  virtual vrrp::RouterSnapshot vrrpSnapshot() = 0;
  // enabled = false when the config has no connection_sync block.
  virtual sync::SyncSnapshot syncSnapshot() = 0;
  virtual ConntrackStatus conntrackStatus() = 0;
};

}  // namespace ha::director
