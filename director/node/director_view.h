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
#include "director/conntrack/flow_ledger.h"
#include "director/node/runtime_edits.h"
#include "director/plan/flow_oracle.h"
#include "director/plan/forwarding_plan.h"
#include "healthcheck/control.h"
#include "sync/sync_snapshot.h"
#include "vrrp/router.h"

namespace ha::director {

// One real's (or a service's summed) traffic: the conntrack ledger's type, so counts flow from the
// kernel to the snapshot without a copy between two identical structs.
using TrafficCounters = RealTraffic;

// ipvsadm --rate (node/rate_estimator.h).
struct TrafficRates {
  double connsPerSecond = 0;
  double inPacketsPerSecond = 0;
  double outPacketsPerSecond = 0;
  double inBytesPerSecond = 0;
  double outBytesPerSecond = 0;
  TrafficRates& operator+=(const TrafficRates& o);
};

struct RealSnapshot {
  PlannedReal real;
  // Since the last ZeroCounters (ipvsadm -Z), as `list --stats` shows them. `sinceStart` is never
  // zeroed, for Prometheus: IPVS's -Z also resets what node_exporter reads, which Prometheus sees
  // as a counter reset; ours stay monotonic and -Z changes only the ipvsadm view.
  TrafficCounters counters;
  TrafficCounters sinceStart;
  TrafficRates rates;
  uint64_t activeConns = 0;    // conntrack: TCP ESTABLISHED, or UDP seen both ways
  uint64_t inactiveConns = 0;  // every other conntrack state
  // The health thread's view: verdict, reason, and each checker's last result and counters.
  // nullopt when the real has no checkers (always up) or health checks are not running.
  std::optional<healthcheck::RealStatus> health;
  std::vector<std::string> overrides;  // runtime overrides in force: "weight", "forwarding"
  bool runtimeAdded = false;           // added by a runtime edit (-a)
};

struct ServiceSnapshot {
  ServicePlan plan;  // slots cleared to keep snapshots small
  std::string laddrGroup;
  std::vector<RealSnapshot> reals;
  TrafficCounters counters;  // sums over the reals, as theirs
  TrafficCounters sinceStart;
  TrafficRates rates;
  std::vector<std::string>
      overrides;              // runtime overrides in force: "scheduler", "persistence_timeout"
  bool runtimeAdded = false;  // added by a runtime edit (-A)
};

struct DirectorSnapshot {
  uint32_t hashSeed = 0;
  std::vector<ServiceSnapshot> services;
  ConnTimeouts timeouts;  // global lvs_timeouts in force (ipvsadm -L --timeout)
  // Health-check totals (HealthSnapshot without the per-real parts, which are on the reals).
  uint64_t distinctProbes = 0;
  uint64_t probesRun = 0;
  uint64_t probesInFlight = 0;
  std::map<std::string, LatencyHistogram> probeLatencyByKind;  // "TCP_CHECK" -> every answered run
  // snapshotWithRates() found the rate estimator idle and started it: the rates are not known
  // until its next sample (kRateSampleEvery).
  bool ratesWarmingUp = false;
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
  // The eBPF datapath (TUN, client_address toa): loaded once a config needs it.
  bool datapathLoaded = false;
  std::vector<std::string> datapathDevices;          // where it is attached (tcx ingress)
  std::map<std::string, uint64_t> datapathCounters;  // by name: "tun_encapsulated", ...
  std::string datapathError;                         // the counters could not be read
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

// One of our flows, as `ipvsadm -Lc` lists a connection.
struct ConnectionRow {
  Protocol protocol = Protocol::kTcp;
  uint32_t expiresSeconds = 0;
  std::string state;  // TCP: conntrack's name ("ESTABLISHED", "SYN_RECV", ...); "" for UDP
  Endpoint source;    // the client
  Endpoint virtualService;
  Endpoint destination;  // the real
};

// Our flows (of one service, when asked), at most a bound's worth; total counts them all.
struct ConnectionTable {
  std::vector<ConnectionRow> rows;
  uint64_t total = 0;
  bool serviceKnown = true;  // false: the service asked for is not configured
};

// Each answer is an error when the thread that holds it does not answer in time (a busy or stuck
// io_context thread: common/post_and_wait.h); the admin API then says so instead of hanging.
class DirectorView {
 public:
  virtual ~DirectorView() = default;
  virtual Result<DirectorSnapshot> snapshot() = 0;
  // The same, for a caller that shows rates: keeps the rate estimator running (it samples only
  // while rates are asked for) and starts it when idle.
  virtual Result<DirectorSnapshot> snapshotWithRates() { return snapshot(); }
  virtual Result<FlowAnswer> lookup(const FlowQuery& query) = 0;
  // Empty when the config has no vrrp_instance.
  virtual Result<vrrp::RouterSnapshot> vrrpSnapshot() = 0;
  // enabled = false when the config has no connection_sync block.
  virtual Result<sync::SyncSnapshot> syncSnapshot() = 0;
  virtual Result<ForwarderStatus> forwarderStatus() = 0;
  virtual Result<ConntrackStatus> conntrackStatus() = 0;
  // Our flows in conntrack, of `service` only when given (`directorctl -Lc`).
  virtual Result<ConnectionTable> connections(const std::optional<ServiceKey>& service) = 0;
  // ipvsadm -Z: the counters and rates of one service (nullopt: of every service) restart from
  // zero in `snapshot()`; sinceStart goes on. Returns how many services were zeroed (0: `service`
  // is not configured, and nothing changed).
  virtual Result<uint32_t> zeroCounters(const std::optional<ServiceKey>& service) = 0;
  // Runtime edits (ipvsadm -A/-E/-D/-a/-e/-d, -R): one batch, all or nothing. The answer is the
  // refusal or the lines applied; an error only when the director thread did not answer.
  virtual Result<EditAnswer> applyEdits(const std::vector<RuntimeEdit>& edits) {
    (void)edits;
    return Error{"runtime edits are not served here"};
  }
  // global_defs admin_group: who besides root may call the mutating admin calls ("" = root only).
  virtual Result<std::string> adminGroup() { return std::string(); }
};

}  // namespace ha::director
