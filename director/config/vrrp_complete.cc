// completeVrrp(): what keepalived decides in vrrp_complete_instance() once every block is read —
// version and family, global defaults, its start-up adjustments (each with a warning naming the
// keyword) — and the sync groups: membership, and the weights keepalived ignores in them.
#include <map>
#include <set>
#include <string>

#include "director/config/config_mapper.h"
#include "director/config/node_rules.h"

namespace ha::director::config {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using vrrp::InitialState;
using vrrp::Version;
using ScriptMap = std::map<std::string, const vrrp::ScriptConfig*>;

constexpr Duration kV3AdvertStep = milliseconds(10);    // RFC 5798 §5.2.7: centiseconds
constexpr Duration kV3MaxAdvert = milliseconds(40950);  // 12-bit field

std::string familyName(Family f) { return f == Family::kV4 ? "IPv4" : "IPv6"; }

const SourceLocation& orInstance(const SourceLocation& where, const InstanceSource& src) {
  return where.line > 0 ? where : src.where;
}

void resolveVersionAndFamily(vrrp::InstanceConfig& inst, const InstanceSource& src,
                             const VrrpGlobals& globals, DiagnosticSink& sink) {
  if (!inst.addresses.empty()) {
    inst.family = inst.addresses.front().prefix.address.family();
  } else if (inst.unicastSource) {
    inst.family = inst.unicastSource->family();
  }
  const std::string name = "vrrp_instance " + inst.name;
  if (inst.family == Family::kV6) {
    // keepalived: IPv6 means v3 unless the instance says otherwise; RFC 3768 is IPv4 only.
    inst.version = src.version.value_or(Version::kV3);
    if (inst.version == Version::kV2) {
      sink.error(orInstance(src.lines.version, src),
                 name + ": VRRP version 2 (RFC 3768) is IPv4 only; IPv6 needs version 3");
    }
  } else {
    inst.version = src.version.value_or(globals.version);
  }
  if (inst.unicastSource && inst.unicastSource->family() != inst.family) {
    sink.error(src.lines.unicastSource, name + ": source address " + inst.unicastSource->str() +
                                            " is " + familyName(inst.unicastSource->family()) +
                                            " but the instance is " + familyName(inst.family));
  }
  for (size_t i = 0; i < inst.unicastPeers.size(); ++i) {
    const IpAddress& peer = inst.unicastPeers[i];
    if (peer.family() != inst.family) {
      sink.error(src.unicastPeers[i], name + ": unicast_peer " + peer.str() + " is " +
                                          familyName(peer.family()) + " but the instance is " +
                                          familyName(inst.family));
    }
  }
}

void checkVersionRules(const vrrp::InstanceConfig& inst, const InstanceSource& src,
                       DiagnosticSink& sink) {
  const std::string name = "vrrp_instance " + inst.name;
  const SourceLocation& advert = orInstance(src.lines.advertInt, src);
  if (inst.version == Version::kV2) {
    if (inst.advertInterval % seconds(1) != Duration{0}) {
      sink.error(advert, name + ": advert_int " + secondsText(inst.advertInterval) +
                             " needs VRRP version 3: version 2 carries whole seconds "
                             "(RFC 3768 §5.3.7)");
    }
  } else {
    if (inst.advertInterval % kV3AdvertStep != Duration{0} || inst.advertInterval > kV3MaxAdvert) {
      sink.error(advert, name + ": advert_int " + secondsText(inst.advertInterval) +
                             " not representable in VRRP version 3: expected 0.01..40.95 "
                             "seconds in steps of 0.01 (RFC 5798 §5.2.7)");
    }
    if (inst.authType != vrrp::AuthType::kNone) {
      sink.error(orInstance(src.lines.authentication, src),
                 name +
                     ": authentication is not part of VRRP version 3 (RFC 5798 "
                     "§9 removed "
                     "it); remove the authentication block or use version 2");
    }
  }
}

// keepalived's vrrp_complete_instance() adjustments, so a config behaves as it did there.
void keepalivedAdjustments(vrrp::InstanceConfig& inst, const InstanceSource& src,
                           DiagnosticSink& sink) {
  const std::string name = "vrrp_instance " + inst.name;
  bool owner = inst.priority == vrrp::kPriorityOwner;
  if (src.lines.priority.line == 0 && inst.initialState == InitialState::kMaster) {
    inst.priority = vrrp::kPriorityOwner;
    owner = true;
    sink.warning(src.lines.state, name +
                                      ": state MASTER without 'priority' makes it the address "
                                      "owner (priority 255), as keepalived does");
  }
  if (owner && inst.initialState == InitialState::kBackup) {
    if (src.lines.state.line > 0) {
      sink.warning(src.lines.state, name +
                                        ": priority 255 (address owner) starts as MASTER "
                                        "whatever 'state BACKUP' says (RFC 5798 §6.4.1)");
    }
    inst.initialState = InitialState::kMaster;
  }
  if (!inst.preempt && owner) {
    sink.warning(src.lines.nopreempt, name +
                                          ": nopreempt does not apply to the address owner "
                                          "(priority 255); ignored, as keepalived does");
    inst.preempt = true;
  } else if (!inst.preempt && inst.initialState == InitialState::kMaster) {
    sink.warning(src.lines.nopreempt, name +
                                          ": nopreempt will not work with initial state MASTER; "
                                          "ignored, as keepalived does (use state BACKUP)");
    inst.preempt = true;
  }
  if (inst.preemptDelay != Duration{0} && inst.initialState == InitialState::kMaster) {
    sink.warning(src.lines.preemptDelay, name +
                                             ": preempt_delay will not work with initial state "
                                             "MASTER; ignored, as keepalived does");
    inst.preemptDelay = Duration{0};
  } else if (inst.preemptDelay != Duration{0} && !inst.preempt) {
    sink.warning(src.lines.preemptDelay,
                 name + ": preempt_delay has no effect with nopreempt; ignored");
    inst.preemptDelay = Duration{0};
  }
}

void applyGlobals(vrrp::InstanceConfig& inst, const InstanceSource& src, const VrrpGlobals& g) {
  // keepalived: accept mode defaults to on, off under vrrp_strict (RFC 5798 §6.1's default).
  inst.acceptMode = src.accept.value_or(!g.strict);
  const GarpOverrides& o = src.garp;
  inst.garp.masterDelay = o.masterDelay.value_or(g.garp.masterDelay);
  inst.garp.masterRepeat = o.masterRepeat.value_or(g.garp.masterRepeat);
  inst.garp.masterRefresh = o.masterRefresh.value_or(g.garp.masterRefresh);
  inst.garp.masterRefreshRepeat = o.masterRefreshRepeat.value_or(g.garp.masterRefreshRepeat);
  inst.garp.interval = inst.family == Family::kV4 ? o.garpInterval.value_or(g.garpInterval)
                                                  : o.gnaInterval.value_or(g.gnaInterval);
}

void checkTrackedScripts(const std::vector<vrrp::TrackedScript>& tracked,
                         const std::vector<SourceLocation>& where, const std::string& owner,
                         const ScriptMap& scripts, DiagnosticSink& sink) {
  for (size_t i = 0; i < tracked.size(); ++i) {
    if (scripts.count(tracked[i].name) == 0) {
      sink.error(where[i],
                 owner + ": track_script names unknown vrrp_script '" + tracked[i].name + "'");
    }
  }
}

// Which sync group each instance is in (by index), reporting unknown and doubly listed members.
std::map<size_t, size_t> groupMembership(const MappedConfig& out, DiagnosticSink& sink) {
  const auto& cfg = out.config.vrrp;
  std::map<std::string, size_t> byName;
  for (size_t i = 0; i < cfg.instances.size(); ++i) byName.emplace(cfg.instances[i].name, i);
  std::map<size_t, size_t> groupOf;
  for (size_t g = 0; g < cfg.syncGroups.size(); ++g) {
    const auto& group = cfg.syncGroups[g];
    for (size_t m = 0; m < group.members.size(); ++m) {
      const SourceLocation& where = out.vrrp.syncGroups[g].members[m];
      const std::string& member = group.members[m];
      auto instance = byName.find(member);
      if (instance == byName.end()) {
        sink.error(where,
                   "vrrp_sync_group " + group.name + ": unknown vrrp_instance '" + member + "'");
        continue;
      }
      auto [it, fresh] = groupOf.emplace(instance->second, g);
      if (fresh) continue;
      const auto& first = cfg.syncGroups[it->second];
      sink.error(where, it->second == g
                            ? "vrrp_sync_group " + group.name + " lists '" + member + "' twice"
                            : "vrrp_instance " + member + " is in two sync groups: " + group.name +
                                  " and " + first.name + " (" +
                                  out.vrrp.syncGroups[it->second].where.str() + ")");
    }
  }
  return groupOf;
}

// keepalived ignores tracking weights of sync-group members (unless the group says
// sync_group_tracking_weight: a weight would let one member fall behind its group) and of the
// address owner (its priority is fixed at 255).
void dropIgnoredWeights(vrrp::InstanceConfig& inst, InstanceSource& src, bool owner,
                        const std::string& group, const ScriptMap& scripts, DiagnosticSink& sink) {
  const std::string name = "vrrp_instance " + inst.name;
  const std::string why = owner ? "the address owner (priority 255) keeps its priority"
                                : "keepalived ignores weights in vrrp_sync_group " + group +
                                      " (add sync_group_tracking_weight to keep them)";
  std::vector<vrrp::TrackedInterface> interfaces;
  std::vector<SourceLocation> interfaceWhere;
  for (size_t i = 0; i < inst.trackInterfaces.size(); ++i) {
    auto tracked = inst.trackInterfaces[i];
    if (tracked.weight != 0) {
      // keepalived: a group member still goes to FAULT with the interface; the owner stops tracking
      // it.
      sink.warning(src.trackInterfaces[i], name + ": weight " + std::to_string(tracked.weight) +
                                               " of track_interface " + tracked.name +
                                               " ignored: " + why);
      if (owner) continue;
      tracked.weight = 0;
    }
    interfaces.push_back(tracked);
    interfaceWhere.push_back(src.trackInterfaces[i]);
  }
  std::vector<vrrp::TrackedScript> tracked;
  std::vector<SourceLocation> trackedWhere;
  for (size_t i = 0; i < inst.trackScripts.size(); ++i) {
    const auto& t = inst.trackScripts[i];
    auto script = scripts.find(t.name);
    int weight = t.weight.value_or(script == scripts.end() ? 0 : script->second->weight);
    if (weight != 0) {
      sink.warning(src.trackScripts[i], name + ": track_script " + t.name + " (weight " +
                                            std::to_string(weight) + ") ignored: " + why);
      continue;
    }
    tracked.push_back(t);
    trackedWhere.push_back(src.trackScripts[i]);
  }
  std::vector<vrrp::TrackedVirtualServer> services;
  std::vector<SourceLocation> serviceWhere;
  for (size_t i = 0; i < inst.trackVirtualServers.size(); ++i) {
    const auto& t = inst.trackVirtualServers[i];
    if (t.weight != 0) {
      // Like a weighted track_script: dropped, not turned into FAULT tracking.
      sink.warning(src.trackVirtualServers[i], name + ": track_virtual_server " + t.name +
                                                   " (weight " + std::to_string(t.weight) +
                                                   ") ignored: " + why);
      continue;
    }
    services.push_back(t);
    serviceWhere.push_back(src.trackVirtualServers[i]);
  }
  inst.trackInterfaces = std::move(interfaces);
  src.trackInterfaces = std::move(interfaceWhere);
  inst.trackScripts = std::move(tracked);
  src.trackScripts = std::move(trackedWhere);
  inst.trackVirtualServers = std::move(services);
  src.trackVirtualServers = std::move(serviceWhere);
}

// A group's own track_* apply to every member (keepalived's sync_group_tracking_init); weights are
// cleared when a member is the address owner.
void addGroupTracking(MappedConfig& out, size_t g, const std::vector<size_t>& members,
                      DiagnosticSink& sink) {
  auto& cfg = out.config.vrrp;
  const SyncGroupSource& src = out.vrrp.syncGroups[g];
  bool hasOwner = false;
  for (size_t m : members) hasOwner |= cfg.instances[m].priority == vrrp::kPriorityOwner;
  auto interfaces = src.trackInterfaces;
  auto scripts = src.trackScripts;
  if (hasOwner) {
    for (size_t i = 0; i < interfaces.size(); ++i) {
      if (interfaces[i].weight == 0) continue;
      sink.warning(src.trackInterfaceWhere[i],
                   "vrrp_sync_group " + cfg.syncGroups[g].name + ": weight of track_interface " +
                       interfaces[i].name + " cleared: a member is the address owner");
      interfaces[i].weight = 0;
    }
    for (size_t i = 0; i < scripts.size(); ++i) {
      if (!scripts[i].weight || *scripts[i].weight == 0) continue;
      sink.warning(src.trackScriptWhere[i], "vrrp_sync_group " + cfg.syncGroups[g].name +
                                                ": weight of track_script " + scripts[i].name +
                                                " cleared: a member is the address owner");
      scripts[i].weight = 0;
    }
  }
  for (size_t m : members) {
    auto& inst = cfg.instances[m];
    auto& where = out.vrrp.instances[m];
    inst.trackInterfaces.insert(inst.trackInterfaces.end(), interfaces.begin(), interfaces.end());
    where.trackInterfaces.insert(where.trackInterfaces.end(), src.trackInterfaceWhere.begin(),
                                 src.trackInterfaceWhere.end());
    inst.trackScripts.insert(inst.trackScripts.end(), scripts.begin(), scripts.end());
    where.trackScripts.insert(where.trackScripts.end(), src.trackScriptWhere.begin(),
                              src.trackScriptWhere.end());
  }
}

void resolveSyncGroups(MappedConfig& out, const ScriptMap& scripts, DiagnosticSink& sink) {
  auto& cfg = out.config.vrrp;
  auto groupOf = groupMembership(out, sink);
  std::vector<std::vector<size_t>> members(cfg.syncGroups.size());
  for (const auto& [instance, group] : groupOf) members[group].push_back(instance);
  for (size_t i = 0; i < cfg.instances.size(); ++i) {
    auto group = groupOf.find(i);
    bool weightless = group != groupOf.end() && !out.vrrp.syncGroups[group->second].trackingWeight;
    bool owner = cfg.instances[i].priority == vrrp::kPriorityOwner;
    if (!weightless && !owner) continue;
    dropIgnoredWeights(cfg.instances[i], out.vrrp.instances[i], owner,
                       weightless ? cfg.syncGroups[group->second].name : std::string(), scripts,
                       sink);
  }
  for (size_t g = 0; g < cfg.syncGroups.size(); ++g) addGroupTracking(out, g, members[g], sink);
}

}  // namespace

void completeVrrp(MappedConfig& out, DiagnosticSink& sink) {
  auto& instances = out.config.vrrp.instances;
  ScriptMap scripts;
  for (const auto& script : out.config.vrrp.scripts) scripts.emplace(script.name, &script);
  for (size_t i = 0; i < instances.size(); ++i) {
    auto& inst = instances[i];
    const auto& src = out.vrrp.instances[i];
    resolveVersionAndFamily(inst, src, out.vrrp.globals, sink);
    checkVersionRules(inst, src, sink);
    keepalivedAdjustments(inst, src, sink);
    applyGlobals(inst, src, out.vrrp.globals);
    checkTrackedScripts(inst.trackScripts, src.trackScripts, "vrrp_instance " + inst.name, scripts,
                        sink);
  }
  for (size_t g = 0; g < out.config.vrrp.syncGroups.size(); ++g) {
    const auto& src = out.vrrp.syncGroups[g];
    checkTrackedScripts(src.trackScripts, src.trackScriptWhere,
                        "vrrp_sync_group " + out.config.vrrp.syncGroups[g].name, scripts, sink);
  }
  resolveSyncGroups(out, scripts, sink);
}

}  // namespace ha::director::config
