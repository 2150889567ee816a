// The node's side of health checks: verdicts from the health thread become per-service patches
// (map-element edits only), flow deletion for failed reals, persistence purges, and VRRP's view of
// each virtual server's quorum.
#include <algorithm>
#include <boost/asio/post.hpp>
#include <iterator>
#include <set>
#include <string>

#include "common/log.h"
#include "director/nft/names.h"
#include "director/nft/patch.h"
#include "director/nft/render.h"
#include "director/node/health_bridge.h"
#include "director/node/log_summary.h"
#include "director/node/node.h"

namespace ha::director {
namespace {

// The virtual servers some vrrp_instance tracks: only their quorum is worth a post to the VRRP
// thread (at 10k services the rest would be 10k wake-ups of it per reload, for nothing).
std::set<std::string> trackedByVrrp(const Config& config) {
  std::set<std::string> names;
  for (const auto& instance : config.vrrp.instances) {
    for (const auto& t : instance.trackVirtualServers) names.insert(t.name);
  }
  return names;
}

}  // namespace

Status Node::applyHealth(const Config& config) {
  auto wanted = healthConfigOf(config);
  if (!ports_.health) {
    for (const auto& vs : wanted.virtualServers) {
      for (const auto& real : vs.reals) {
        if (!real.checkers.empty() || !real.fileChecks.empty()) {
          return Error{real.location +
                       ": health checks configured, but this node runs without the health checker"};
        }
      }
    }
    health_ = {};
    return okStatus();
  }
  // The verdicts as of now: new reals up (down with alpha), known ones as they were.
  auto applied = ports_.health->apply(wanted);
  if (!applied) return Error{"health checks: " + applied.error()};
  auto& verdicts = applied.value();
  HealthInputs fresh;
  foldHealthEvents(fresh, verdicts);
  health_ = std::move(fresh);
  if (auto tracked = trackedByVrrp(config); ports_.vrrp && !tracked.empty()) {
    for (const auto& v : verdicts) {
      const auto* q = std::get_if<healthcheck::QuorumVerdict>(&v);
      if (q != nullptr && tracked.count(q->key.str()) != 0)
        ports_.vrrp->setVirtualServerQuorum(q->key.str(), q->up);
    }
  }
  return okStatus();
}

void Node::onHealthEvents(std::vector<healthcheck::HealthEvent> events) {
  boost::asio::post(io_, [this, events = std::move(events)]() mutable {
    pendingHealth_.insert(pendingHealth_.end(), std::make_move_iterator(events.begin()),
                          std::make_move_iterator(events.end()));
    // Verdicts that arrive while this flush waits in the queue join it: one transaction per burst.
    if (healthFlushPosted_) return;
    healthFlushPosted_ = true;
    boost::asio::post(io_, [this] { flushHealth(); });
  });
}

void Node::flushHealth() {
  healthFlushPosted_ = false;
  auto events = std::move(pendingHealth_);
  pendingHealth_.clear();
  if (!started_) return;
  auto delta = foldHealthEvents(health_, events);
  // Services whose earlier patch was refused are re-planned with today's verdicts.
  delta.services.insert(healthUnapplied_.begin(), healthUnapplied_.end());
  delta.wentDown.insert(delta.wentDown.end(), healthUnretired_.begin(), healthUnretired_.end());
  healthUnapplied_.clear();
  healthUnretired_.clear();
  if (auto tracked = trackedByVrrp(config_); ports_.vrrp && !tracked.empty()) {
    for (const auto& [name, up] : delta.quorum) {
      if (tracked.count(name) != 0) ports_.vrrp->setVirtualServerQuorum(name, up);
    }
  }
  // Only the services whose verdicts moved are re-planned and patched: a health flip edits map
  // elements only (docs/decisions/0002-one-transaction-per-change.md), whatever the number of
  // services.
  ForwardingPlan before, after;
  for (auto* p : {&before, &after}) {
    p->hashSeed = plan_.hashSeed;
    p->laddrGroups = plan_.laddrGroups;
    p->drDevices = plan_.drDevices;
    p->bpfDevices = plan_.bpfDevices;
    p->tableOwnership = plan_.tableOwnership;
  }
  for (const auto& key : delta.services) {
    auto index = serviceIndex_.find(key);
    if (index == serviceIndex_.end()) continue;  // removed by a reload since the verdict was sent
    const auto& vs = config_.virtualServers[index->second];
    auto id = serviceIds_.find(key);
    if (id == serviceIds_.end() || plan_.services.count(id->second) == 0) continue;
    auto sp = replanService(config_, &health_, plan_, vs, id->second, &loads_);
    if (!sp) {
      log::error("health change for " + key.str() + " not applied: " + sp.error());
      continue;
    }
    before.services[id->second] = plan_.services[id->second];
    after.services[id->second] = std::move(sp.value());
  }
  std::vector<ChangeLine> realChanges;
  for (const auto& [id, sp] : after.services) {
    const auto& old = before.services[id];
    for (size_t i = 0; i < sp.reals.size() && i < old.reals.size(); ++i) {
      const auto& r = sp.reals[i];
      if (r.healthy == old.reals[i].healthy && r.weight == old.reals[i].weight) continue;
      std::string state =
          r.healthy ? "up"
                    : (r.inhibitOnFailure ? "down (inhibited: weight 0, flows kept)" : "down");
      std::string weight =
          r.healthy && r.weight != r.configuredWeight ? ", weight " + std::to_string(r.weight) : "";
      realChanges.push_back({state + (r.healthy ? weight : ": " + reasonKind(r.healthReason)),
                             sp.key.str(),
                             "real " + r.endpoint.str() + " of " + sp.key.str() + " " + state +
                                 (r.healthy ? "" : ": " + r.healthReason) + weight});
    }
    if (sp.sorryActive != old.sorryActive) {
      log::info(sp.key.str() +
                (sp.sorryActive ? ": quorum lost, new flows go to the sorry server "
                                : ": quorum regained, sorry server ") +
                (sp.sorryServer ? sp.sorryServer->str() : std::string("-")) +
                (sp.sorryActive ? "" : " released"));
    }
  }
  // 10k reals failing at once are one line per kind of failure; each real's own line with -D.
  auto lines = summarize(realChanges, "real", "service");
  for (const auto& line : lines.info) log::info(line);
  for (const auto& line : lines.debug) log::debug(line);
  auto changed = nft::changedServices(before, after);
  for (auto& [id, sp] : after.services) plan_.services[id] = std::move(sp);
  if (!changed.empty()) {
    auto tx = nft::patchServices(installed_, before, plan_, changed);
    if (auto st = ports_.nft->commit(tx); !st) {
      std::set<ServiceKey> refused;
      for (auto& [id, sp] : before.services) {
        refused.insert(sp.key);
        plan_.services[id] = std::move(sp);
      }
      installed_ = nft::render(plan_);  // the kernel still holds the old state
      log::error("health change not applied, nf_tables transaction failed: " + st.error() +
                 "; retrying in " + std::to_string(healthRetryDelay_.count()) + " ms");
      retryHealthLater(refused, delta.wentDown);
      return;
    }
  }
  healthRetryDelay_ = kFirstHealthRetry;
  syncDatapath();
  retireFlows(delta.wentDown);
}

void Node::retryHealthLater(const std::set<ServiceKey>& services,
                            const std::vector<std::pair<ServiceKey, Endpoint>>& wentDown) {
  healthUnapplied_.insert(services.begin(), services.end());
  healthUnretired_.insert(healthUnretired_.end(), wentDown.begin(), wentDown.end());
  healthRetryTimer_.expires_after(healthRetryDelay_);
  healthRetryDelay_ = std::min(healthRetryDelay_ * 2, kMaxHealthRetry);
  healthRetryTimer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || healthFlushPosted_ || healthUnapplied_.empty()) return;  // a flush is due anyway
    flushHealth();
  });
}

void Node::retireFlows(const std::vector<std::pair<ServiceKey, Endpoint>>& reals) {
  std::vector<FlowOwner> owners, persistent;
  for (const auto& failed : reals) {
    const ServiceKey& key = failed.first;
    // A plain reference: clang 14 cannot capture a structured binding in a lambda.
    const Endpoint& endpoint = failed.second;
    auto id = serviceIds_.find(key);
    if (id == serviceIds_.end()) continue;
    auto sp = plan_.services.find(id->second);
    if (sp == plan_.services.end()) continue;
    auto real = std::find_if(sp->second.reals.begin(), sp->second.reals.end(),
                             [&](const PlannedReal& r) { return r.endpoint == endpoint; });
    // inhibit_on_failure keeps the flows (weight 0); a real that came back meanwhile keeps them
    // too.
    if (real == sp->second.reals.end() || real->healthy || real->inhibitOnFailure) continue;
    owners.push_back({id->second, static_cast<uint8_t>(key.protocol), endpoint});
    if (sp->second.persistenceTimeoutSec != 0) persistent.push_back(owners.back());
  }
  if (owners.empty()) return;
  purgePersistence(persistent);
  // One conntrack dump for the whole batch: a mass failure costs one walk of the table.
  auto deleted = ports_.conntrack->deleteFlows(owners);
  if (!deleted) {
    log::error("deleting the flows of " + std::to_string(owners.size()) +
               " failed reals: " + deleted.error());
  } else if (deleted.value() != 0) {
    log::info(std::to_string(deleted.value()) + " flows of " + std::to_string(owners.size()) +
              " failed real(s) deleted");
  }
}

void Node::purgePersistence(const std::vector<FlowOwner>& owners) {
  // Without this a persistent client keeps reaching the dead real for persistence_timeout (IPVS
  // re-schedules a template whose real is no longer available). One read per family and batch.
  for (bool v6 : {false, true}) {
    std::vector<FlowOwner> family;
    for (const auto& o : owners) {
      if (o.real.address.isV4() != v6) family.push_back(o);
    }
    if (family.empty()) continue;
    const std::string set = nft::byFamily(nft::kPersist, v6);
    auto elements = ports_.nft->readSetElements(nft::inetTable(), set);
    if (!elements) {
      log::error("purging persistence entries of failed reals: " + elements.error());
      continue;
    }
    nft::Transaction tx;
    tx.ops.push_back(
        nft::DeleteElements{nft::inetTable(), set, persistEntriesOf(elements.value(), family)});
    if (std::get<nft::DeleteElements>(tx.ops[0]).elements.empty()) continue;
    // An entry that timed out since the read fails the batch (ENOENT); the rest expire on their
    // own.
    if (auto st = ports_.nft->commit(tx); !st)
      log::warning("purging persistence entries of failed reals: " + st.error());
  }
}

}  // namespace ha::director
