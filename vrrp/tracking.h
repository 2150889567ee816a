#pragma once
// What tracking does to a VRRP instance, as pure functions: the effective priority
// from track_interface / track_script / track_virtual_server weights and whether the instance is
// in FAULT, from the instance's config and what is known of links, scripts and quorums. The
// Router keeps the TrackingState current from events and feeds the verdict to the state machine.
// Rules: keepalived 2.2.7 vrrp_track.c (initialise_track_script_state,
// initialise_interface_tracking_priorities, vrrp_set_effective_priority).
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "vrrp/vrrp_config.h"

namespace ha::vrrp {

// vrrp_track.c vrrp_set_effective_priority(): the address owner (255) never changes; anything
// else is base + weights clamped to 1..254.
uint8_t effectivePriority(uint8_t base, int sumOfWeights);

// What an instance's track_script / track_interface entries add up to (vrrp_track.c
// initialise_track_script_state / initialise_interface_tracking_priorities and the update paths):
//  - weight 0: failing (script bad, interface down) puts the instance in FAULT;
//  - weight > 0: added while healthy; weight < 0: added (so subtracted) while failing;
//  - a script still in INIT contributes no weight; with weight 0 it holds the instance back
//    (`pending`: keepalived keeps it in INIT, it does not FAULT it);
//  - a track_script naming no configured script is ignored (keepalived reports a config error
//    and drops it; our config checker refuses it).
// `weight` on a TrackedScript overrides the script's own. keepalived also zeroes weights of
// instances in a sync group and ignores weights for an owner — the caller's job (see
// effectivePriority for the owner).
struct TrackOutcome {
  int weightSum = 0;
  bool fault = false;
  std::string faultReason;  // "interface eth1 down, script chk_x failed": every cause, in order
  bool pending = false;
  bool operator==(const TrackOutcome&) const = default;
};

struct ScriptView {
  std::optional<bool> healthy;  // nullopt = INIT (not yet run)
  int weight = 0;               // the vrrp_script's own weight
};
using ScriptLookup = std::function<std::optional<ScriptView>(const std::string& name)>;
using InterfaceLookup = std::function<bool(const std::string& name)>;  // true = up

TrackOutcome trackOutcome(const std::vector<TrackedInterface>& interfaces,
                          const std::vector<TrackedScript>& scripts, const ScriptLookup& script,
                          const InterfaceLookup& interfaceUp);

// What the router has heard, by name.
struct TrackingState {
  std::map<std::string, bool> scriptHealthy;  // reported results; absent: not run yet (INIT)
  std::map<std::string, bool> linkUp;         // absent: down (unknown links are not up)
  std::map<std::string, bool> quorumUp;       // track_virtual_server; absent: up
};

struct TrackingVerdict {
  uint8_t priority = 0;  // effective priority
  bool fault = false;
  std::string faultReason;  // every cause, in order: interfaces, scripts, virtual servers
  bool operator==(const TrackingVerdict&) const = default;
};

// The instance's own interface always counts as a weight-0 track_interface (keepalived without
// dont_track_primary); a script never reported is INIT unless it says init_fail (then failed);
// track_virtual_server follows the script rule (0 = FAULT while the quorum is lost).
TrackingVerdict evaluateTracking(const InstanceConfig& instance,
                                 const std::vector<ScriptConfig>& scripts,
                                 const TrackingState& state);

}  // namespace ha::vrrp
