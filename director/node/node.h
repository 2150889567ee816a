#pragma once
// The composition root of one director node: owns the director io_context thread, the config,
// the plan and the kernel state it installed; applies changes as one nf_tables transaction each.
// Admin calls arrive on gRPC threads and are posted here as value work.
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/conntrack/conntrack_port.h"
#include "common/netlink/address_owner.h"
#include "common/netlink/routing_owner.h"
#include "common/ownership/ownership_ledger.h"
#include "common/result.h"
#include "director/bpf/datapath_port.h"
#include "director/config/config_loader.h"
#include "director/config/config_model.h"
#include "director/conntrack/conntrack_counts.h"
#include "director/conntrack/flow_accounting.h"
#include "director/conntrack/flow_ledger.h"
#include "director/conntrack/live_connections.h"
#include "director/nft/drift_monitor.h"
#include "director/nft/ir.h"
#include "director/nft/nft_writer.h"
#include "director/nft/timed_nft_writer.h"
#include "director/node/conntrack_watch.h"
#include "director/node/counters.h"
#include "director/node/director_view.h"
#include "director/node/drift_tracker.h"
#include "director/node/rate_estimator.h"
#include "director/node/runtime_edits.h"
#include "director/node/service_manager.h"
#include "director/node/watchdog.h"
#include "director/plan/forwarding_plan.h"
#include "healthcheck/control.h"
#include "sync/control.h"
#include "vrrp/control.h"

namespace ha::director {

// The config's diagnostics in the log, each at its own level (error, warning, note as info).
void logDiagnostics(const std::vector<Diagnostic>& diagnostics);

struct NodeOptions {
  std::string configPath;
  std::string adminSocket;
  // Where SIGUSR1 / SIGUSR2 write keepalived.data / keepalived.stats (keepalived: /tmp).
  std::string dumpDir = "/tmp";
  // keepalived's config id (-i): which `@ID` lines of the config apply, at start and reload.
  std::string configId = defaultConfigId();
};

struct NodePorts {
  std::unique_ptr<nft::NftWriter> nft;
  // The eBPF datapath (TUN, client_address toa); null: a config with them is refused.
  std::unique_ptr<bpf::DatapathPort> datapath;
  std::unique_ptr<AddressOwner> addresses;
  // static_routes / static_rules; null: a config with them is logged as not applied.
  std::unique_ptr<RoutingOwner> routing;
  std::unique_ptr<ConntrackPort> conntrack;
  // Per-real packets, bytes and connections (conntrack accounting); null: NAT/FULLNAT reals show
  // zero (DR reals are counted in nf_tables either way).
  std::unique_ptr<FlowAccountingPort> accounting;
  std::unique_ptr<vrrp::Control> vrrp;           // null: a config with vrrp_instance is refused
  std::unique_ptr<healthcheck::Control> health;  // null: a config with checkers is refused
  std::unique_ptr<sync::Control> sync;           // null: a config with connection_sync is refused
  std::unique_ptr<nft::DriftMonitor> drift;      // null: drift is not detected (logged at start)
  // Where the nf_tables tables we create are recorded (the addresses are recorded by their owners);
  // null: not recorded.
  std::shared_ptr<OwnershipLedger> ledger;
  // null: no conntrack statistics (`directorctl conntrack` says so). Shared with the health
  // checker, which asks it whether a probe without an answer can be trusted.
  std::shared_ptr<ConntrackWatch> conntrackWatch;
  // null: no service manager is told anything (not started by systemd with Type=notify).
  std::shared_ptr<ServiceManager> serviceManager;
  // Opens conntrack's event feed of our flows (new, updated, destroyed), for the connection-count
  // schedulers (node_steering.cc); called when the first lc/wlc/sed/nq/ovf service appears. null:
  // their tables spread new connections by weight alone (logged).
  std::function<Result<std::unique_ptr<conntrack::ConntrackPort>>()> openFlowEvents;
};

// The shortest time between two rebuilds of the connection-count tables (node_steering.cc): at
// most 100 nf_tables transactions a second, whatever the connection rate.
inline constexpr std::chrono::milliseconds kSteerEvery{10};
// After a refused steering transaction, the next try: soon enough that the tables follow the
// counts again within a second, rare enough that a kernel refusing every one (the table flushed
// under us, until drift repair re-applies) costs a log line a second, not a hundred.
inline constexpr std::chrono::milliseconds kSteerRetryAfter{1000};

// How long an admin call waits for the director thread (and, before it, the health thread):
// under directorctl's own 5 s, so the operator reads our reason rather than a client timeout.
inline constexpr auto kAdminAnswerDeadline = std::chrono::seconds(4);

// Back-off between re-tries of a health patch nf_tables refused (doubling, capped).
inline constexpr std::chrono::milliseconds kFirstHealthRetry{100};
inline constexpr std::chrono::milliseconds kMaxHealthRetry{2000};

class Node final : public DirectorView {
 public:
  Node(NodeOptions options, NodePorts ports);
  ~Node() override;

  // Applies `config` to the kernel: the plan as one transaction, then the static addresses.
  // Nothing is applied when the plan cannot be built.
  Status start(const Config& config);
  // Re-reads the config file; a config with errors is logged and changes nothing.
  void reload();
  // Removes our tables and the addresses we added.
  void stop();
  // Tells the service manager the node is ready, with the status line. Before runUntilSignalled.
  void announceReady();
  // Every io_context thread the node runs (director, and vrrp/health/sync where present), for the
  // watchdog's heartbeats.
  std::vector<WatchedLoop> loops();
  // Runs the director io_context on the calling thread until SIGTERM/SIGINT (SIGHUP reloads,
  // SIGUSR1 / SIGUSR2 write the data / stats dumps, keepalived's other signals are logged).
  // Signals are caught from construction on, so one that arrives during start() is handled here.
  // On SIGTERM/SIGINT `beforeLoopStops` runs on a helper thread while the loop still serves posted
  // work (the admin server stops there: its in-flight calls wait on this loop); the loop stops
  // when it returns.
  void runUntilSignalled(std::function<void()> beforeLoopStops = nullptr);
  // Runs the director loop's ready handlers (posted work, due timers, ready descriptors) on the
  // calling thread without waiting for more, and returns how many ran: for a caller that drives
  // the loop itself (the unit tests). Never while runUntilSignalled runs.
  size_t runReady();

  // Thread-safe (the health listener calls it on the health thread): verdicts are posted to the
  // director thread, coalesced, and applied as one nf_tables transaction per batch.
  void onHealthEvents(std::vector<healthcheck::HealthEvent> events);

  Result<DirectorSnapshot> snapshot() override;
  Result<DirectorSnapshot> snapshotWithRates() override;
  Result<FlowAnswer> lookup(const FlowQuery& query) override;
  Result<vrrp::RouterSnapshot> vrrpSnapshot() override;
  Result<sync::SyncSnapshot> syncSnapshot() override;
  Result<ForwarderStatus> forwarderStatus() override;
  Result<ConntrackStatus> conntrackStatus() override;
  // node_connections.cc: one dump on the director thread, at most kMaxConnectionRows rows.
  Result<ConnectionTable> connections(const std::optional<ServiceKey>& asked) override;
  Result<uint32_t> zeroCounters(const std::optional<ServiceKey>& service) override;
  Result<EditAnswer> applyEdits(const std::vector<RuntimeEdit>& edits) override;
  Result<std::string> adminGroup() override;

 private:
  Result<ForwardingPlan> planFor(const Config& config);
  Status apply(const Config& config, ForwardingPlan plan, bool first);
  // The eBPF datapath to hold what `plan` serves through it (TUN, TOA); applyDatapath(plan_)
  // after plan_ changed without a full apply.
  Status applyDatapath(const ForwardingPlan& plan);
  Status prepareDatapath(const ForwardingPlan& plan);
  void syncDatapath();
  void syncAddresses(const Config& config);
  // node_routing.cc: static_routes / static_rules, after the addresses (a route may use one).
  void syncRouting(const Config& config);
  void removeRouting();
  Status applyVrrp(const Config& config);
  Status applyHealth(const Config& config);
  Status applySync(const Config& config);
  void flushHealth();
  // A refused health patch: the verdicts stay known (health_) but the kernel lacks them, so those
  // services are re-planned again after a back-off until a patch (or a full apply) lands.
  void retryHealthLater(const std::set<ServiceKey>& services,
                        const std::vector<std::pair<ServiceKey, Endpoint>>& wentDown);
  void retireFlows(const std::vector<std::pair<ServiceKey, Endpoint>>& reals);
  void purgePersistence(const std::vector<FlowOwner>& owners);
  void recordTables(const nft::NftState& state, bool onlyThese);
  std::string statusNow();
  void watchConntrack();  // node_conntrack.cc: samples now and every kConntrackSampleEvery
  // node_counters.cc: per-real counters from conntrack accounting (finished flows' destroy events
  // read as they come), rates sampled while asked for (rate_estimator.h), ipvsadm -Z baselines.
  void watchFinishedFlows();
  void awaitFinishedFlows();
  void readFinishedFlows();
  DirectorSnapshot countersNow();  // the kernel's totals (sinceStart), no baselines or rates
  Result<DirectorSnapshot> snapshotOf(bool ratesAsked);
  // Keeps the estimator sampling kRatesAskedFor from now; true when it was idle and this started
  // it, with `raw` (countersNow()) as its starting point.
  bool askForRates(const DirectorSnapshot& raw);
  void sampleRates();  // the timer's: stops once rates are no longer asked for
  void scheduleRateSample(Duration after);
  void takeRateSample(const DirectorSnapshot& raw, TimePoint now);
  void fillRates(DirectorSnapshot& snapshot) const;
  uint32_t zeroCountersNow(const std::optional<ServiceKey>& asked);
  template <typename F>
  auto onDirectorThread(TimePoint deadline, F&& f);
  // node_drift.cc: someone else changed our tables -> put the plan back (one full transaction).
  void watchDrift();
  void awaitDrift();
  void readDrift();
  void scheduleRepair(TimePoint due);
  void repairTables();
  ForwarderStatus forwarderStatusNow() const;
  // node_edits.cc: a batch of runtime edits on the director thread, as one patch transaction.
  EditAnswer applyEditsNow(const std::vector<RuntimeEdit>& edits);
  void commitEditedConfig(EditWork& work);
  EditAnswer setTimeoutsNow(const LvsTimeouts& wanted);  // node_timeouts.cc
  void markOverrides(DirectorSnapshot& snapshot) const;
  // node_steering.cc: the connection-count schedulers' tables, rebuilt from conntrack's events.
  void followConnectionCounts();
  void stopFollowingConnections();
  void resyncConnectionCounts();
  void awaitFlowEvents();
  void readFlowEvents();
  void scheduleSteer();
  void steerTables();

  NodeOptions options_;
  // Before ports_, so it is destroyed after them: the module services' threads (the health
  // listener) may post here until their service is gone, also when start() failed and stop()
  // had nothing to stop.
  boost::asio::io_context io_;
  NodePorts ports_;
  nft::TimedNftWriter* timedNft_ = nullptr;  // ports_.nft, wrapped by the constructor
  // Every signal directord acts on, and keepalived's others (kKeepalivedOnlySignals) so that none
  // takes its default action (termination) when an operator sends it out of habit.
  boost::asio::signal_set signals_{io_, SIGHUP, SIGTERM, SIGINT};
  Config config_;               // the effective config: the file's plus overrides_
  std::optional<LvsTimeouts> timeoutsOverride_;  // directorctl --set: the global values in force
  RuntimeOverrides overrides_;  // runtime edits since the last (re)load; discarded by the next
  std::map<ServiceKey, uint32_t> serviceIds_;
  ForwardingPlan plan_;
  nft::NftState installed_;
  bool started_ = false;
  HealthInputs health_;
  std::map<ServiceKey, size_t> serviceIndex_;  // -> config_.virtualServers
  std::vector<healthcheck::HealthEvent> pendingHealth_;
  bool healthFlushPosted_ = false;
  std::set<ServiceKey> healthUnapplied_;  // services whose health patch the kernel refused
  std::vector<std::pair<ServiceKey, Endpoint>> healthUnretired_;  // their failed reals' flows
  std::chrono::milliseconds healthRetryDelay_ = kFirstHealthRetry;
  boost::asio::steady_timer healthRetryTimer_{io_};
  DriftTracker driftTracker_;
  std::unique_ptr<boost::asio::posix::stream_descriptor> driftWatch_;
  boost::asio::steady_timer repairTimer_{io_};
  boost::asio::steady_timer conntrackTimer_{io_};
  FlowLedger flowLedger_;
  std::unique_ptr<boost::asio::posix::stream_descriptor> finishedWatch_;
  uint64_t finishedOverruns_ = 0;
  CounterBaselines baselines_;
  std::map<std::pair<ServiceKey, Endpoint>, RateEstimate> realRates_;
  std::map<ServiceKey, RateEstimate> serviceRates_;
  boost::asio::steady_timer rateTimer_{io_};
  boost::asio::steady_timer finishedBatchTimer_{io_};
  bool rateSampling_ = false;
  TimePoint ratesAskedUntil_{};
  std::unique_ptr<conntrack::ConntrackPort> flowEvents_;
  std::unique_ptr<boost::asio::posix::stream_descriptor> flowEventsWatch_;
  LiveConnections liveConnections_;
  ConnectionLoads loads_;  // what each connection-count service's installed table was built from
  std::set<uint32_t> steerDirty_;
  boost::asio::steady_timer steerTimer_{io_};
  bool steerScheduled_ = false;
  bool steerUnavailableLogged_ = false;
  TimePoint lastSteer_{};
  TimePoint steerRetryAt_{};  // no pass before this after a refused transaction
};

}  // namespace ha::director
