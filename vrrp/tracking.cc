#include "vrrp/tracking.h"

#include <algorithm>

namespace ha::vrrp {

uint8_t effectivePriority(uint8_t base, int sumOfWeights) {
  if (base == kPriorityOwner) return base;
  const int64_t total = int64_t{base} + sumOfWeights;
  return static_cast<uint8_t>(std::clamp<int64_t>(total, 1, kPriorityOwner - 1));
}

namespace {

void addFault(TrackOutcome& out, const std::string& reason) {
  if (out.fault) out.faultReason += ", ";
  out.fault = true;
  out.faultReason += reason;
}

// Positive weights count while healthy, negative ones while failing: the same rule for
// interfaces, scripts and (ours) virtual servers, as keepalived 2.2.7 has for the first two.
bool applies(int weight, bool healthy) { return healthy ? weight > 0 : weight < 0; }

}  // namespace

TrackOutcome trackOutcome(const std::vector<TrackedInterface>& interfaces,
                          const std::vector<TrackedScript>& scripts, const ScriptLookup& script,
                          const InterfaceLookup& interfaceUp) {
  TrackOutcome out;
  for (const TrackedInterface& tracked : interfaces) {
    const bool up = interfaceUp(tracked.name);
    if (tracked.weight == 0) {
      if (!up) addFault(out, "interface " + tracked.name + " down");
    } else if (applies(tracked.weight, up)) {
      out.weightSum += tracked.weight;
    }
  }
  for (const TrackedScript& tracked : scripts) {
    const std::optional<ScriptView> view = script(tracked.name);
    if (!view) continue;
    const int weight = tracked.weight.value_or(view->weight);
    if (!view->healthy) {
      if (weight == 0) out.pending = true;
      continue;
    }
    if (weight == 0) {
      if (!*view->healthy) addFault(out, "script " + tracked.name + " failed");
    } else if (applies(weight, *view->healthy)) {
      out.weightSum += weight;
    }
  }
  return out;
}

TrackingVerdict evaluateTracking(const InstanceConfig& instance,
                                 const std::vector<ScriptConfig>& scripts,
                                 const TrackingState& state) {
  auto interfaces = instance.trackInterfaces;
  interfaces.insert(interfaces.begin(), TrackedInterface{instance.interface, 0});
  auto outcome = trackOutcome(
      interfaces, instance.trackScripts,
      [&](const std::string& name) -> std::optional<ScriptView> {
        auto script = std::find_if(scripts.begin(), scripts.end(),
                                   [&](const ScriptConfig& s) { return s.name == name; });
        if (script == scripts.end()) return std::nullopt;
        std::optional<bool> healthy;
        if (auto reported = state.scriptHealthy.find(name); reported != state.scriptHealthy.end()) {
          healthy = reported->second;
        } else if (script->initFail) {
          healthy = false;
        }
        return ScriptView{healthy, script->weight};
      },
      [&](const std::string& name) {
        auto up = state.linkUp.find(name);
        return up != state.linkUp.end() && up->second;
      });
  for (const auto& tracked : instance.trackVirtualServers) {
    auto known = state.quorumUp.find(tracked.name);
    const bool up = known == state.quorumUp.end() || known->second;
    if (tracked.weight == 0) {
      if (!up) addFault(outcome, "virtual server " + tracked.name + " quorum lost");
    } else if (applies(tracked.weight, up)) {
      outcome.weightSum += tracked.weight;
    }
  }
  return TrackingVerdict{effectivePriority(instance.priority, outcome.weightSum), outcome.fault,
                         outcome.faultReason};
}

}  // namespace ha::vrrp
