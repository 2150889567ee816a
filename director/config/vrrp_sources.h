#pragma once
// What the VRRP mapping pass remembers beyond vrrp::VrrpConfig: where each statement was written
// (so cross-statement errors point at the line at fault) and what was explicit rather than a
// default (keepalived resolves versions, accept mode and GARP timers only once every block and
// global_defs have been read, in any order). Parallel to the VrrpConfig vectors.
#include <optional>
#include <vector>

#include "common/clock.h"
#include "director/config/config_model.h"

namespace ha::director::config {

// global_defs vrrp_* keys: defaults for every instance, folded in by completeVrrp().
struct VrrpGlobals {
  vrrp::Version version = vrrp::Version::kV2;  // vrrp_version; keepalived's default is 2
  vrrp::GarpConfig garp;                       // vrrp_garp_master_*; interval left at 0
  Duration garpInterval{0};                    // vrrp_garp_interval: IPv4 instances
  Duration gnaInterval{0};                     // vrrp_gna_interval: IPv6 instances
  bool strict = false;                         // vrrp_strict: only changes the accept default
};

// Per-instance GARP keywords actually written; unset ones take the global value.
struct GarpOverrides {
  std::optional<Duration> masterDelay;
  std::optional<uint32_t> masterRepeat;
  std::optional<Duration> masterRefresh;
  std::optional<uint32_t> masterRefreshRepeat;
  std::optional<Duration> garpInterval;  // our extension: keepalived has these in global_defs only
  std::optional<Duration> gnaInterval;
};

struct InstanceSource {
  SourceLocation where;  // `vrrp_instance NAME {`
  // Line of each keyword as written (line 0 = not written).
  struct Lines {
    SourceLocation state, interface, vrid, priority, advertInt, version, nopreempt, preemptDelay,
        authentication, unicastSource, trackSync;
  } lines;
  std::optional<vrrp::Version> version;  // `version` in the instance (else global, or v3 for IPv6)
  std::optional<bool> accept;            // `accept` / `no_accept` (else keepalived's default)
  GarpOverrides garp;
  // One per element of the model's vector of the same name.
  std::vector<SourceLocation> addresses, excludedAddresses, unicastPeers, trackInterfaces,
      trackScripts, trackVirtualServers;
  std::vector<SourceLocation> routes, rules;  // virtual_routes, virtual_rules
};

struct ScriptSource {
  SourceLocation where;
};

struct SyncGroupSource {
  SourceLocation where;
  std::vector<SourceLocation> members;  // one per SyncGroupConfig::members entry
  bool trackingWeight = false;          // sync_group_tracking_weight / global_tracking
  // The group's own track_* blocks: added to every member by completeVrrp(), as keepalived does.
  std::vector<vrrp::TrackedInterface> trackInterfaces;
  std::vector<vrrp::TrackedScript> trackScripts;
  std::vector<SourceLocation> trackInterfaceWhere, trackScriptWhere;
};

struct VrrpSources {
  VrrpGlobals globals;
  std::vector<InstanceSource> instances;
  std::vector<ScriptSource> scripts;
  std::vector<SyncGroupSource> syncGroups;
};

}  // namespace ha::director::config
