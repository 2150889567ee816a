// vrrp_script, vrrp_sync_group and the VRRP keys of global_defs (keepalived 2.2.7 names).
#include <string>

#include "director/config/config_mapper.h"
#include "director/config/node_rules.h"
#include "director/config/vrrp_statements.h"

namespace ha::director::config {
namespace {

using std::chrono::seconds;

constexpr uint64_t kMaxScriptSeconds = 86400;
constexpr uint64_t kMaxGarpSeconds = 86400;
constexpr Duration kMaxGarpInterval = seconds(1000);
constexpr int kMaxRiseFall = INT32_MAX;

// vrrp_garp_master_* / vrrp_garp_interval / vrrp_gna_interval; false if not one of them.
bool mapGlobalGarp(const Node& node, VrrpGlobals& g, DiagnosticSink& sink) {
  const std::string& k = node.keyword;
  bool interval = k == "vrrp_garp_interval" || k == "vrrp_gna_interval";
  bool counted = k == "vrrp_garp_master_repeat" || k == "vrrp_garp_master_refresh_repeat";
  bool timed = k == "vrrp_garp_master_delay" || k == "vrrp_garp_master_refresh";
  if (!interval && !counted && !timed) return false;
  if (!checkStatement(node, 1, 1, k + (counted ? " N" : " SECONDS"), sink)) return true;
  if (interval) {
    auto value = secondsArg(node, 0, Duration{0}, kMaxGarpInterval, sink);
    if (value) (k == "vrrp_garp_interval" ? g.garpInterval : g.gnaInterval) = *value;
  } else if (counted) {
    auto value = atLeastOneArg(node, UINT32_MAX, sink);
    if (value)
      (k == "vrrp_garp_master_repeat" ? g.garp.masterRepeat : g.garp.masterRefreshRepeat) = *value;
  } else if (auto value = numberArg(node, 0, 0, kMaxGarpSeconds, sink)) {
    (k == "vrrp_garp_master_delay" ? g.garp.masterDelay : g.garp.masterRefresh) =
        seconds(static_cast<int64_t>(*value));
  }
  return true;
}

void mapScriptKeyword(const Node& node, vrrp::ScriptConfig& script, DiagnosticSink& sink) {
  const std::string& k = node.keyword;
  const std::string owner = "vrrp_script " + script.name;
  if (k == "script") {
    // keepalived 2.x runs only the first (quoted) word as the command line and drops the rest.
    if (node.args.size() > 1) {
      sink.error(node.where, owner + ": quote the command line: script \"" + node.args[0] + " " +
                                 node.args[1] + " ...\"");
      return;
    }
    if (!checkStatement(node, 1, 1, "script \"COMMAND ARGS\"", sink)) return;
    if (node.args[0].empty()) {
      sink.error(node.where, owner + ": empty script");
      return;
    }
    script.command = node.args[0];
  } else if (k == "interval" || k == "timeout") {
    if (!checkStatement(node, 1, 1, k + " SECONDS", sink)) return;
    if (auto value = atLeastOneArg(node, kMaxScriptSeconds, sink)) {
      (k == "interval" ? script.interval : script.timeout) = seconds(*value);
    }
  } else if (k == "weight") {
    if (!checkArgs(node, 1, 2, "weight -253..253", sink) || !checkNoBlock(node, sink)) return;
    if (auto weight = weightArgs(node, 0, kMaxScriptWeight, sink)) script.weight = *weight;
  } else if (k == "rise" || k == "fall") {
    if (!checkStatement(node, 1, 1, k + " N", sink)) return;
    if (auto value = numberArg(node, 0, 1, kMaxRiseFall, sink)) {
      (k == "rise" ? script.rise : script.fall) = static_cast<uint32_t>(*value);
    }
  } else if (k == "init_fail") {
    if (checkStatement(node, 0, 0, k, sink)) script.initFail = true;
  } else if (k == "user") {
    sink.warning(node.where, owner + ": 'user' ignored: directord runs scripts as root");
  } else {
    sink.error(node.where, "unknown keyword '" + k + "' in vrrp_script");
  }
}

// `group { VI_1 VI_2 }`, on one line or one name per line.
void mapGroupMembers(const Node& node, vrrp::SyncGroupConfig& group, SyncGroupSource& src,
                     DiagnosticSink& sink) {
  if (!checkArgs(node, 0, 0, "group { INSTANCE ... }", sink) || !checkHasBlock(node, sink)) return;
  if (!group.members.empty()) {
    sink.error(node.where, "vrrp_sync_group " + group.name + ": 'group' given twice");
    return;
  }
  for (const Node& entry : node.children) {
    if (!checkNoBlock(entry, sink)) continue;
    group.members.push_back(entry.keyword);
    src.members.push_back(entry.where);
    for (const auto& name : entry.args) {
      group.members.push_back(name);
      src.members.push_back(entry.where);
    }
  }
}

void mapSyncGroupKeyword(const Node& node, vrrp::SyncGroupConfig& group, SyncGroupSource& src,
                         DiagnosticSink& sink) {
  const std::string& k = node.keyword;
  const std::string owner = "vrrp_sync_group " + group.name;
  if (mapNotifyStatement(node, owner, group.notify, sink)) return;
  if (k == "group") {
    mapGroupMembers(node, group, src, sink);
  } else if (k == "track_interface") {
    mapTrackInterfaces(node, owner, src.trackInterfaces, src.trackInterfaceWhere, sink);
  } else if (k == "track_script") {
    mapTrackScripts(node, owner, src.trackScripts, src.trackScriptWhere, sink);
  } else if (k == "sync_group_tracking_weight" || k == "global_tracking") {
    if (!checkStatement(node, 0, 0, k, sink)) return;
    if (k == "global_tracking") {
      sink.warning(node.where,
                   "'global_tracking' is deprecated (keepalived); read as "
                   "'sync_group_tracking_weight'");
    }
    src.trackingWeight = true;
  } else if (k == "smtp_alert" || k == "notify_priority_changes") {
    sink.warning(node.where, "keyword '" + k + "' in vrrp_sync_group not supported yet; ignored");
  } else if (k == "track_file" || k == "track_process" || k == "track_bfd") {
    sink.error(node.where, "keyword '" + k + "' in vrrp_sync_group not supported yet");
  } else {
    sink.error(node.where, "unknown keyword '" + k + "' in vrrp_sync_group");
  }
}

}  // namespace

bool mapVrrpGlobal(const Node& node, VrrpGlobals& globals, DiagnosticSink& sink) {
  const std::string& k = node.keyword;
  if (mapGlobalGarp(node, globals, sink)) return true;
  if (k == "vrrp_version") {
    if (!checkStatement(node, 1, 1, "vrrp_version 2|3", sink)) return true;
    if (auto version = numberArg(node, 0, 2, 3, sink)) {
      globals.version = *version == 2 ? vrrp::Version::kV2 : vrrp::Version::kV3;
    }
  } else if (k == "vrrp_strict") {
    globals.strict = true;
    sink.warning(node.where,
                 "vrrp_strict: only its accept-mode default (no_accept) is applied; "
                 "keepalived's "
                 "other strict-mode refusals (unicast peers, authentication, "
                 "preempt_delay) are "
                 "not, and directord installs no firewall rules for virtual addresses");
  } else if (k == "vrrp_check_unicast_src") {
    // Always on here: an instance with unicast_peer drops adverts from other sources.
    checkStatement(node, 0, 0, k, sink);
  } else if (k == "vrrp_skip_check_adv_addr") {
    sink.warning(node.where,
                 "vrrp_skip_check_adv_addr: nothing to skip; directord checks the "
                 "address count of adverts, never the addresses (RFC 5798 §7.1)");
  } else if (k == "enable_script_security" || k == "script_user") {
    sink.warning(node.where, "keyword '" + k +
                                 "' in global_defs ignored: directord runs "
                                 "vrrp_script and notify scripts as root, without keepalived's "
                                 "script permission checks");
  } else if (k == "vrrp_iptables" || k == "vrrp_ipsets") {
    sink.warning(node.where, "keyword '" + k +
                                 "' in global_defs not applicable: directord adds "
                                 "no iptables/ipset rules for virtual addresses");
  } else if (k == "vrrp_mcast_group4" || k == "vrrp_mcast_group6") {
    sink.error(node.where, "keyword '" + k +
                               "' not supported yet: adverts go to the RFC 5798 "
                               "groups 224.0.0.18 / ff02::12 or to unicast_peer addresses");
  } else {
    return false;
  }
  return true;
}

void mapVrrpScript(const Node& node, MappedConfig& out, DiagnosticSink& sink) {
  bool ok = checkArgs(node, 1, 1, "vrrp_script NAME { script \"COMMAND\" ... }", sink);
  ok = checkHasBlock(node, sink) && ok;
  vrrp::ScriptConfig script;
  script.name = ok ? node.args[0] : std::string("?");
  script.location = node.where.str();
  for (const Node& child : node.children) mapScriptKeyword(child, script, sink);
  if (!ok) return;
  if (script.command.empty()) {
    sink.error(node.where, "vrrp_script " + script.name + " has no 'script \"COMMAND\"'");
  }
  out.config.vrrp.scripts.push_back(std::move(script));
  out.vrrp.scripts.push_back(ScriptSource{node.where});
}

void mapVrrpSyncGroup(const Node& node, MappedConfig& out, DiagnosticSink& sink) {
  bool ok = checkArgs(node, 1, 1, "vrrp_sync_group NAME { group { INSTANCE ... } }", sink);
  ok = checkHasBlock(node, sink) && ok;
  vrrp::SyncGroupConfig group;
  SyncGroupSource src;
  group.name = ok ? node.args[0] : std::string("?");
  group.location = node.where.str();
  src.where = node.where;
  for (const Node& child : node.children) mapSyncGroupKeyword(child, group, src, sink);
  if (!ok) return;
  if (group.members.empty()) {
    sink.error(node.where, "vrrp_sync_group " + group.name +
                               " has no instances: add 'group { "
                               "VI_1 VI_2 }'");
  } else if (group.members.size() == 1) {
    sink.warning(node.where, "vrrp_sync_group " + group.name +
                                 " has only one instance; it "
                                 "synchronises nothing");
  }
  out.config.vrrp.syncGroups.push_back(std::move(group));
  out.vrrp.syncGroups.push_back(std::move(src));
}

}  // namespace ha::director::config
