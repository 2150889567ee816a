#pragma once
// What the admin API may ask of the running node, in model types. The node answers on its own
// io_context thread and hands back copies; the admin codec converts them to proto.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/latency_histogram.h"
#include "common/result.h"
#include "director/conntrack/conntrack_stats.h"
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
  std::map<std::string, LatencyHistogram> probeLatencyByKind;  // "TCP_CHECK" -> every answered run
};

// The forwarder's hold on the kernel: how our nf_tables tables are protected and what drift was
// seen and repaired (`directorctl status`).
struct ForwarderStatus {
  std::vector<std::string> tables;  // "inet directord", "netdev directord"
  std::string ownerWanted;    // nftables_owner as configured: "owner,persist", "owner", "none"
  std::string ownerInKernel;  // what this kernel accepted
  bool watching = false;      // nf_tables notifications are read (drift is detected)
  uint64_t drifts = 0;
  uint64_t repairs = 0;
  uint64_t repairFailures = 0;
  bool repairPending = false;
  std::string lastDrift;
  std::optional<uint64_t> lastDriftAgeMs;
  std::optional<double> lastRepairMs;  // drift seen -> tables back
  std::string lastRepairError;
  // Cross-thread requests (admin calls, reloads) that a module's thread did not answer in time.
  uint64_t crossThreadTimeouts = 0;
  // Every nf_tables transaction the node sent (start, reloads, health patches, repairs).
  uint64_t commits = 0;
  uint64_t commitFailures = 0;
  LatencyHistogram commitLatency;
};

// The node's conntrack table (director/node/conntrack_watch.h): the last sample and what it means.
struct ConntrackStatus {
  std::string error;                         // the last read failed: why ("" when it worked)
  std::optional<ConntrackStats> kernel;      // the last sample, as the kernel counts
  std::optional<ConntrackStats> sinceStart;  // its counters since directord's first sample
  std::string pressure;                      // "" = none
  std::optional<uint64_t> lastDropAgeMs;
  uint64_t pressureEpisodes = 0;
  uint64_t inconclusiveResults = 0;  // health results held because of the pressure
  std::optional<uint64_t> sampleAgeMs;
};

// Each answer is an error when the thread that holds it does not answer in time (a busy or stuck
// io_context thread: common/post_and_wait.h); the admin API then says so instead of hanging.
class DirectorView {
 public:
  virtual ~DirectorView() = default;
  virtual Result<DirectorSnapshot> snapshot() = 0;
  virtual Result<FlowAnswer> lookup(const FlowQuery& query) = 0;
  // Empty when the config has no vrrp_instance.
  virtual Result<vrrp::RouterSnapshot> vrrpSnapshot() = 0;
  // enabled = false when the config has no connection_sync block.
  virtual Result<sync::SyncSnapshot> syncSnapshot() = 0;
  virtual Result<ForwarderStatus> forwarderStatus() = 0;
  virtual Result<ConntrackStatus> conntrackStatus() = 0;
};

}  // namespace ha::director
