// The node's side of runtime edits (directorctl -A/-E/-D/-a/-e/-d/-R): a batch is validated
// whole (runtime_edits.cc), the touched services are re-planned and patched as one nf_tables
// transaction, as a health flip is (node_health.cc); a refusal at any step changes nothing.
#include <algorithm>
#include <set>
#include <string>

#include "common/flow_mark.h"
#include "common/log.h"
#include "common/post_and_wait.h"
#include "director/nft/patch.h"
#include "director/nft/render.h"
#include "director/node/node.h"
#include "director/node/sync_bridge.h"

namespace ha::director {

Result<EditAnswer> Node::applyEdits(const std::vector<RuntimeEdit>& edits) {
  return postAndWait(io_, "director", Clock::now() + kAdminAnswerDeadline,
                     [this, edits] { return applyEditsNow(edits); });
}

Result<std::string> Node::adminGroup() {
  return postAndWait(io_, "director", Clock::now() + kAdminAnswerDeadline,
                     [this] { return config_.globals.adminGroup; });
}

EditAnswer Node::applyEditsNow(const std::vector<RuntimeEdit>& edits) {
  using Kind = EditRefusal::Kind;
  auto refuse = [](Kind kind, std::string why) {
    log::warning("runtime edit refused, nothing changed: " + why);
    return EditAnswer{EditRefusal{kind, std::move(why)}, {}};
  };
  if (!started_) return refuse(Kind::kKernel, "directord has not applied its configuration yet");
  if (std::any_of(edits.begin(), edits.end(),
                  [](const RuntimeEdit& e) { return e.op == RuntimeEdit::Op::kSetTimeouts; })) {
    if (edits.size() != 1)
      return refuse(Kind::kInvalid, "--set cannot share a batch with other edits");
    return setTimeoutsNow(edits.front().timeouts);
  }
  auto current = [this](const ServiceKey& key) -> const VirtualServerConfig* {
    auto it = serviceIndex_.find(key);
    return it == serviceIndex_.end() ? nullptr : &config_.virtualServers[it->second];
  };
  // A group's member VIP:port or a mark names the group's or mark's service (resolveServiceKey).
  std::vector<RuntimeEdit> resolved = edits;
  for (auto& e : resolved) e.service = resolveServiceKey(plan_, e.service);
  auto outcome = planEdits(current, overrides_, resolved);
  if (outcome.refusal) return refuse(outcome.refusal->kind, outcome.refusal->message);
  EditWork& work = outcome.work;

  // Re-plan only the touched services; ids of services deleted in this batch are not handed out
  // again in it (their flows' marks must not name a new service).
  ForwardingPlan before, after;
  for (auto* p : {&before, &after}) {
    p->hashSeed = plan_.hashSeed;
    p->laddrGroups = plan_.laddrGroups;
    p->drDevices = plan_.drDevices;
    p->bpfDevices = plan_.bpfDevices;
    p->tableOwnership = plan_.tableOwnership;
  }
  std::set<uint32_t> used;
  std::map<ServiceKey, uint32_t> added;
  for (const auto& [key, vs] : work.services) {
    uint32_t id = 0;
    if (auto known = serviceIds_.find(key); known != serviceIds_.end()) {
      id = known->second;
      if (auto sp = plan_.services.find(id); sp != plan_.services.end())
        before.services[id] = sp->second;
    }
    if (!vs) continue;
    if (id == 0) {
      if (used.empty()) {
        for (const auto& [k, i] : serviceIds_) used.insert(i);
      }
      id = 1;
      while (used.count(id) != 0) ++id;
      if (id > kMaxServiceId) return refuse(Kind::kInvalid, "no free service id for " + key.str());
      used.insert(id);
      added[key] = id;
    }
    auto sp = replanService(config_, &health_, plan_, *vs, id, &loads_);
    if (!sp) return refuse(Kind::kInvalid, sp.error());
    after.services[id] = std::move(sp.value());
  }

  auto changed = nft::changedServices(before, after);
  std::set<uint32_t> afterIds;
  for (const auto& [id, sp] : before.services) plan_.services.erase(id);
  for (auto& [id, sp] : after.services) {
    afterIds.insert(id);
    plan_.services[id] = std::move(sp);
  }
  if (!changed.empty()) {
    auto tx = nft::patchServices(installed_, before, plan_, changed);
    if (auto st = ports_.nft->commit(tx); !st) {
      for (uint32_t id : afterIds) plan_.services.erase(id);
      for (auto& [id, sp] : before.services) plan_.services[id] = std::move(sp);
      installed_ = nft::render(plan_);  // the kernel still holds the old state
      return refuse(Kind::kKernel, "the kernel refused the nf_tables transaction: " + st.error());
    }
  }
  syncDatapath();
  for (const auto& [key, id] : added) serviceIds_[key] = id;
  for (const auto& [key, vs] : work.services) {
    if (!vs) serviceIds_.erase(key);
  }
  commitEditedConfig(work);
  for (const auto& line : work.applied) log::info("runtime edit: " + line);
  return EditAnswer{std::nullopt, std::move(work.applied)};
}

void Node::commitEditedConfig(EditWork& work) {
  bool servicesChanged = false;
  for (auto& [key, vs] : work.services) {
    auto at = serviceIndex_.find(key);
    if (vs) {
      if (at != serviceIndex_.end()) {
        config_.virtualServers[at->second] = std::move(*vs);
        continue;
      }
      serviceIndex_[key] = config_.virtualServers.size();
      config_.virtualServers.push_back(std::move(*vs));
      servicesChanged = true;
      continue;
    }
    if (at == serviceIndex_.end()) continue;
    // Swap with the last: the order of the config's services is not what anything shows (the
    // plan's ids are), and this keeps a delete at 10k services O(1).
    size_t index = at->second;
    size_t last = config_.virtualServers.size() - 1;
    serviceIndex_.erase(at);
    if (index != last) {
      config_.virtualServers[index] = std::move(config_.virtualServers[last]);
      serviceIndex_[serviceKeyOf(config_.virtualServers[index])] = index;
    }
    config_.virtualServers.pop_back();
    servicesChanged = true;
  }
  overrides_ = std::move(work.overrides);
  // Peers' flows are admitted against the services that exist now.
  if (servicesChanged && ports_.sync) ports_.sync->setCatalog(syncCatalogOf(config_, serviceIds_));
  // A deleted real's checkers stop (keepalived's ipvsadm-added reals have none to start).
  if (work.healthChanged) {
    if (auto st = applyHealth(config_); !st) log::error("runtime edit: " + st.error());
  }
  followConnectionCounts();  // a service added, or its scheduler changed, to or from lc/wlc/...
}

void Node::markOverrides(DirectorSnapshot& snapshot) const {
  if (overrides_.empty()) return;
  for (auto& service : snapshot.services) {
    auto o = overrides_.find(service.plan.key);
    if (o == overrides_.end()) continue;
    service.runtimeAdded = o->second.added;
    service.overrides.assign(o->second.fields.begin(), o->second.fields.end());
    for (auto& real : service.reals) {
      auto r = o->second.reals.find(real.real.endpoint);
      if (r == o->second.reals.end()) continue;
      real.runtimeAdded = r->second.added || o->second.added;
      real.overrides.assign(r->second.fields.begin(), r->second.fields.end());
    }
  }
}

}  // namespace ha::director
