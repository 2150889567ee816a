#include "director/node/node.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <set>
#include <thread>

#include "common/log.h"
#include "common/post_and_wait.h"
#include "director/config/config_loader.h"
#include "director/nft/diff.h"
#include "director/nft/names.h"
#include "director/nft/patch.h"
#include "director/nft/render.h"
#include "director/node/counters.h"
#include "director/node/dump_writer.h"
#include "director/node/health_bridge.h"
#include "director/node/sync_bridge.h"

namespace ha::director {

void logDiagnostics(const std::vector<Diagnostic>& diagnostics) {
  using Severity = Diagnostic::Severity;
  for (const auto& d : diagnostics) {
    if (d.severity == Severity::kError) {
      log::error(d.str());
    } else if (d.severity == Severity::kWarning) {
      log::warning(d.str());
    } else {
      log::info(d.str());
    }
  }
}

namespace {

// keepalived's signals directord has no use for (SIGJSON = SIGRTMIN+2, SIGSTATS_CLEAR =
// SIGRTMAX-1, SIGTDUMP = SIGRTMAX): caught, so they never terminate the process, and logged.
std::vector<int> keepalivedOnlySignals() { return {SIGRTMIN + 2, SIGRTMAX - 1, SIGRTMAX}; }

std::string signalName(int signo) {
  if (signo == SIGRTMIN + 2) return "SIGRTMIN+2 (keepalived's JSON dump: use `directorctl --json`)";
  if (signo == SIGRTMAX - 1) return "SIGRTMAX-1 (keepalived's stats clear: use `directorctl -Z`)";
  if (signo == SIGRTMAX) return "SIGRTMAX (keepalived's thread dump)";
  return "signal " + std::to_string(signo);
}

const TimeSource& steadyTime() {
  static const SteadyTimeSource clock;
  return clock;
}

}  // namespace

Node::Node(NodeOptions options, NodePorts ports)
    : options_(std::move(options)), ports_(std::move(ports)) {
  signals_.add(SIGUSR1);
  signals_.add(SIGUSR2);
  for (int signo : keepalivedOnlySignals()) signals_.add(signo);
  // Every commit, whichever path sends it, is counted and timed for the forwarder's metrics.
  auto timed = std::make_unique<nft::TimedNftWriter>(std::move(ports_.nft), steadyTime());
  timedNft_ = timed.get();
  ports_.nft = std::move(timed);
}

Node::~Node() = default;

template <typename F>
auto Node::onDirectorThread(TimePoint deadline, F&& f) {
  return postAndWait(io_, "director", deadline, std::forward<F>(f));
}

namespace {

LedgerTable ledgerTable(const nft::TableId& id) {
  return {id.family == nft::TableFamily::kNetdev ? "netdev" : "inet", id.name};
}

}  // namespace

void Node::recordTables(const nft::NftState& state, bool onlyThese) {
  if (!ports_.ledger) return;
  std::vector<LedgerTable> wanted;
  for (const auto& [id, table] : state.tables) wanted.push_back(ledgerTable(id));
  if (!onlyThese) {
    for (const auto& t : wanted) ports_.ledger->recordTable(t);
    return;
  }
  for (const auto& t : ports_.ledger->snapshot().tables) {
    if (std::find(wanted.begin(), wanted.end(), t) == wanted.end()) ports_.ledger->forgetTable(t);
  }
}

Result<ForwardingPlan> Node::planFor(const Config& config) {
  PlanInputs inputs;
  inputs.config = &config;
  inputs.serviceIds = assignServiceIds(serviceIds_, config);
  inputs.health = &health_;
  inputs.loads = &loads_;
  for (const auto& device : ingressDevicesOf(config)) {
    if (auto index = ports_.addresses->ifindex(device)) inputs.ifindexes[device] = *index;
  }
  auto plan = buildPlan(inputs);
  if (plan) serviceIds_ = inputs.serviceIds;
  return plan;
}

Status Node::applyDatapath(const ForwardingPlan& plan) {
  auto entries = bpf::datapathEntriesOf(plan);
  if (!entries) return Error{entries.error()};
  if (!ports_.datapath) {
    if (entries->empty()) return okStatus();
    return Error{"TUN and client_address toa need the eBPF datapath, which this node runs without"};
  }
  if (auto st = ports_.datapath->apply(*entries); !st) return Error{"eBPF datapath: " + st.error()};
  return okStatus();
}

// Before anything of a reload changes: the programs a plan needs load (or the verifier refuses).
Status Node::prepareDatapath(const ForwardingPlan& plan) {
  auto entries = bpf::datapathEntriesOf(plan);
  if (!entries) return Error{entries.error()};
  if (entries->empty()) return okStatus();
  if (!ports_.datapath)
    return Error{"TUN and client_address toa need the eBPF datapath, which this node runs without"};
  if (auto st = ports_.datapath->prepare(); !st) return Error{"eBPF datapath: " + st.error()};
  return okStatus();
}

// After a health flip or a runtime edit changed plan_: the datapath follows, as nf_tables did.
void Node::syncDatapath() {
  if (auto st = applyDatapath(plan_); !st) log::error(st.error());
}

Status Node::apply(const Config& config, ForwardingPlan plan, bool first) {
  // The datapath first: a program the kernel refuses stops the apply before nf_tables changes.
  if (auto st = applyDatapath(plan); !st) return Error{st.error() + "; nothing changed"};
  nft::Transaction tx;
  nft::NftState desired;
  bool patched = !first && nft::canPatch(plan_, plan);
  if (patched) {
    // Only the services that changed are rendered and diffed; installed_ becomes render(plan).
    tx = nft::patchServices(installed_, plan_, plan, nft::changedServices(plan_, plan));
  } else {
    desired = nft::render(plan);
    tx = first ? nft::replaceAll(desired, {nft::inetTable(), nft::netdevTable()})
               : nft::diff(installed_, desired);
  }
  // Tables are recorded before they are created and forgotten once gone (a crash in between
  // leaves the ledger listing more than the kernel has, never less).
  if (!patched) recordTables(desired, false);
  if (!tx.empty()) {
    if (auto st = ports_.nft->commit(tx); !st) {
      if (patched) installed_ = nft::render(plan_);  // the kernel still holds the old plan
      if (!first) (void)applyDatapath(plan_);        // and the datapath goes back to it
      return Error{"nf_tables transaction failed, nothing changed: " + st.error()};
    }
  }
  if (!patched) recordTables(desired, true);
  log::info("applied " + std::to_string(plan.services.size()) + " virtual services in " +
            std::to_string(tx.ops.size()) + " nf_tables operations" +
            (patched ? " (changed services only)" : ""));
  if (!patched) installed_ = std::move(desired);
  plan_ = std::move(plan);
  // Peers' flows are admitted against the services as of this plan (marks may have changed).
  if (ports_.sync) ports_.sync->setCatalog(syncCatalogOf(config, serviceIds_));
  syncAddresses(config);
  syncRouting(config);
  config_ = config;
  serviceIndex_.clear();
  for (size_t i = 0; i < config_.virtualServers.size(); ++i)
    serviceIndex_[serviceKeyOf(config_.virtualServers[i])] = i;
  // The plan was built from every verdict known, so a health patch that was refused is in now.
  if (!healthUnapplied_.empty()) {
    healthUnapplied_.clear();
    healthRetryTimer_.cancel();
    healthRetryDelay_ = kFirstHealthRetry;
    auto wentDown = std::move(healthUnretired_);
    healthUnretired_.clear();
    retireFlows(wentDown);
  }
  followConnectionCounts();
  return okStatus();
}

void Node::syncAddresses(const Config& config) {
  std::set<OwnedAddress> wanted;
  for (const auto& sa : config.staticAddresses) wanted.insert({sa.prefix, sa.dev, sa.label});
  for (const auto& owned : ports_.addresses->owned()) {
    if (wanted.count(owned) != 0) continue;
    if (auto st = ports_.addresses->remove(owned); !st) log::error(st.error());
  }
  for (const auto& a : wanted) {
    if (auto st = ports_.addresses->add(a); !st) log::error(st.error());
  }
}

Status Node::applyVrrp(const Config& config) {
  if (!ports_.vrrp) {
    if (config.vrrp.instances.empty()) return okStatus();
    return Error{"vrrp_instance configured, but this node runs without VRRP"};
  }
  return ports_.vrrp->apply(config.vrrp);
}

Status Node::start(const Config& config) {
  if (auto st = applyHealth(config); !st) return st;
  auto plan = planFor(config);
  if (!plan) return Error{plan.error()};
  if (auto st = apply(config, std::move(plan.value()), true); !st) return st;
  started_ = true;
  watchDrift();
  watchFinishedFlows();
  // Sync before VRRP: a track_sync instance waits for the bulk that this starts.
  if (auto st = applySync(config); !st) {
    stop();
    return st;
  }
  // VRRP after the forwarder: a VIP taken at once (priority 255, state MASTER) finds its rules.
  if (auto st = applyVrrp(config); !st) {
    stop();
    return st;
  }
  return okStatus();
}

void Node::reload() {
  log::info("reloading " + options_.configPath);
  auto loaded = loadConfigFile(options_.configPath, systemFileProbe(), options_.configId);
  logDiagnostics(loaded.diagnostics);
  if (loaded.hasErrors()) {
    log::error("reload refused: the config has errors; the running configuration is unchanged");
    return;
  }
  auto plan = planFor(loaded.config);
  if (!plan) {
    log::error("reload refused: " + plan.error());
    return;
  }
  if (auto st = prepareDatapath(*plan); !st) {
    log::error("reload refused: " + st.error() + "; the running configuration is unchanged");
    return;
  }
  // VRRP first: it refuses atomically (an unknown interface, say), and then nothing changes at
  // all. New instances start as backups, so their addresses arrive after the rules below.
  if (auto st = applyVrrp(loaded.config); !st) {
    log::error("reload refused: " + st.error());
    return;
  }
  // A sync refusal (an unreadable certificate) leaves the running sync alone; the rest goes on.
  if (auto st = applySync(loaded.config); !st) log::error("reload: " + st.error());
  // Checkers of unchanged reals keep their state; the plan is rebuilt on the verdicts as of now.
  if (auto st = applyHealth(loaded.config); !st) {
    log::error("reload: " + st.error());
    return;
  }
  plan = planFor(loaded.config);
  if (!plan) {
    log::error("reload failed: " + plan.error());
    return;
  }
  auto current = [this](const ServiceKey& key) -> const VirtualServerConfig* {
    auto it = serviceIndex_.find(key);
    return it == serviceIndex_.end() ? nullptr : &config_.virtualServers[it->second];
  };
  auto discarded = discardedByReload(overrides_, current, loaded.config);
  if (auto st = apply(loaded.config, std::move(plan.value()), false); !st) {
    log::error("reload failed: " + st.error());
    return;
  }
  // The config file is the truth again (keepalived's reload forgets ipvsadm's edits too).
  for (const auto& line : discarded) log::info(line);
  if (timeoutsOverride_) {
    auto now = resolveTimeouts(timeoutsOverride_.value(), {});
    auto file = resolveTimeouts(loaded.config.globals.lvsTimeouts, {});
    log::info("runtime override discarded by reload: lvs_timeouts (was " + timeoutsText(now) +
              ", config says " + timeoutsText(file) + ")");
  }
  timeoutsOverride_.reset();
  overrides_.clear();
}

void Node::stop() {
  if (!started_) return;
  started_ = false;
  if (driftWatch_) driftWatch_->cancel();
  if (finishedWatch_) finishedWatch_->cancel();
  rateTimer_.cancel();
  finishedBatchTimer_.cancel();
  stopFollowingConnections();
  repairTimer_.cancel();
  healthRetryTimer_.cancel();
  if (ports_.health) ports_.health->shutdown();
  // Hand the VIPs over (priority 0) before the rules that serve them go.
  if (ports_.vrrp) ports_.vrrp->shutdown();
  if (ports_.sync) ports_.sync->shutdown();
  if (ports_.datapath) ports_.datapath->removeAll();
  if (auto st = ports_.nft->commit(nft::removeAll(installed_)); !st) {
    log::error("removing our tables: " + st.error());
  } else {
    recordTables({}, true);
  }
  installed_ = {};
  removeRouting();
  for (const auto& owned : ports_.addresses->owned()) {
    if (auto st = ports_.addresses->remove(owned); !st) log::error(st.error());
  }
  log::info("stopped: tables, routes, rules and addresses removed");
}

std::string Node::statusNow() { return statusLine(plan_.services.size(), vrrpSnapshot()); }

void Node::announceReady() {
  if (ports_.serviceManager) ports_.serviceManager->ready(statusNow());
}

std::vector<WatchedLoop> Node::loops() {
  auto via = [](auto* control) -> LoopPoster {
    return [control](std::function<void()> work) { control->runOnThread(std::move(work)); };
  };
  std::vector<WatchedLoop> out;
  out.push_back({"director",
                 [this](std::function<void()> work) { boost::asio::post(io_, std::move(work)); }});
  if (ports_.vrrp) out.push_back({"vrrp", via(ports_.vrrp.get())});
  if (ports_.health) out.push_back({"health", via(ports_.health.get())});
  if (ports_.sync) out.push_back({"sync", via(ports_.sync.get())});
  return out;
}

void Node::runUntilSignalled(std::function<void()> beforeLoopStops) {
  std::thread stopper;
  bool terminating = false;
  // The dumps wait for answers from the director thread (and the others): written off this thread.
  DumpWriter dumps(*this, options_.dumpDir);
  ServiceManager* manager = ports_.serviceManager.get();
  std::function<void(const boost::system::error_code&, int)> onSignal =
      [&](const boost::system::error_code& ec, int signo) {
        if (ec) return;
        signals_.async_wait(
            onSignal);  // stay subscribed: a signal must never take the default action
        if (signo == SIGUSR1 || signo == SIGUSR2) {
          if (!terminating) dumps.request(signo == SIGUSR1 ? DumpKind::kData : DumpKind::kStats);
          return;
        }
        if (signo == SIGHUP) {
          if (terminating) return;
          if (manager != nullptr) manager->reloading();
          reload();
          if (manager != nullptr) manager->ready(statusNow());
          return;
        }
        if (signo != SIGTERM && signo != SIGINT) {
          log::info(signalName(signo) + " received: nothing to do");
          return;
        }
        if (terminating) return;
        terminating = true;
        log::info(signo == SIGTERM ? "SIGTERM received" : "SIGINT received");
        if (manager != nullptr) manager->stopping();
        stopper = std::thread([this, &beforeLoopStops, &dumps] {
          // A dump in progress waits on this loop, which still runs until the post below.
          dumps.stop();
          if (beforeLoopStops) beforeLoopStops();
          boost::asio::post(io_, [this] { io_.stop(); });
        });
      };
  signals_.async_wait(onSignal);
  watchConntrack();
  auto guard = boost::asio::make_work_guard(io_);
  io_.run();
  if (stopper.joinable()) stopper.join();
}

size_t Node::runReady() {
  io_.restart();  // a loop that ran out of work stays stopped until restarted
  return io_.poll();
}

Result<vrrp::RouterSnapshot> Node::vrrpSnapshot() {
  if (!ports_.vrrp) return vrrp::RouterSnapshot{};
  return ports_.vrrp->snapshot();  // thread-safe: posted to the VRRP thread
}

Status Node::applySync(const Config& config) {
  if (!ports_.sync) {
    if (!config.sync.enabled) return okStatus();
    return Error{"connection_sync configured, but this node runs without sync"};
  }
  return ports_.sync->apply(config.sync);
}

Result<ForwarderStatus> Node::forwarderStatus() {
  return onDirectorThread(Clock::now() + kAdminAnswerDeadline,
                          [this] { return forwarderStatusNow(); });
}

Result<sync::SyncSnapshot> Node::syncSnapshot() {
  if (!ports_.sync) return sync::SyncSnapshot{};
  return ports_.sync->snapshot();  // thread-safe: posted to the sync thread
}

Result<DirectorSnapshot> Node::snapshot() { return snapshotOf(false); }
Result<DirectorSnapshot> Node::snapshotWithRates() { return snapshotOf(true); }

Result<DirectorSnapshot> Node::snapshotOf(bool ratesAsked) {
  const TimePoint deadline = Clock::now() + kAdminAnswerDeadline;
  // Asked on the caller's (gRPC) thread: the health thread answers on its own, the director
  // thread never waits for it.
  std::optional<healthcheck::HealthSnapshot> health;
  if (ports_.health) {
    auto answered = ports_.health->snapshot();
    if (!answered) return Error{answered.error()};
    health = std::move(answered.value());
  }
  auto snap = onDirectorThread(deadline, [this, ratesAsked] {
    DirectorSnapshot snapshot = countersNow();
    const bool warmingUp = ratesAsked && askForRates(snapshot);
    baselines_.apply(snapshot);
    fillRates(snapshot);
    snapshot.ratesWarmingUp = warmingUp;
    markOverrides(snapshot);
    snapshot.timeouts = resolveTimeouts(config_.globals.lvsTimeouts, {});
    return snapshot;
  });
  if (snap && health) mergeHealth(snap.value(), std::move(*health));
  return snap;
}

Result<uint32_t> Node::zeroCounters(const std::optional<ServiceKey>& service) {
  return onDirectorThread(Clock::now() + kAdminAnswerDeadline,
                          [this, service] { return zeroCountersNow(service); });
}

Result<FlowAnswer> Node::lookup(const FlowQuery& query) {
  return onDirectorThread(Clock::now() + kAdminAnswerDeadline,
                          [this, query] { return lookupFlow(plan_, query); });
}

}  // namespace ha::director
