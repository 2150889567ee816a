// vrrp_instance: keepalived 2.2.7's vrrp_parser.c keywords. Values that depend on other blocks
// (global vrrp_version, the address family, sync groups) are resolved later by completeVrrp().
#include <string>

#include "director/config/address_entry.h"
#include "director/config/config_mapper.h"
#include "director/config/keyword_tables.h"
#include "director/config/node_rules.h"
#include "director/config/vrrp_statements.h"

namespace ha::director::config {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr size_t kAuthPassBytes = 8;                   // RFC 3768 §5.3.10 Authentication Data
constexpr Duration kMaxAdvertInterval = seconds(255);  // v2's 8-bit field; v3 is checked later
constexpr Duration kMaxPreemptDelay = seconds(1000);   // keepalived's TIMER_MAX_SEC
constexpr uint64_t kMaxGarpSeconds = 86400;            // garp_master_delay / _refresh
constexpr Duration kMaxGarpInterval = seconds(1000);

struct Context {
  vrrp::InstanceConfig& inst;
  InstanceSource& src;
  std::string owner;  // "vrrp_instance VI_1", for messages
  DiagnosticSink& sink;
  RulePriorities& rulePriorities;
};

void badValue(const Node& node, std::string_view expected, DiagnosticSink& sink) {
  sink.error(node.where, "invalid value '" + node.args[0] + "' for '" + node.keyword +
                             "': expected " + std::string(expected));
}

void mapAddresses(const Node& block, bool excluded, Context& c) {
  if (!checkArgs(block, 0, 0, block.keyword + " { ADDR[/LEN] [dev DEV] [label LABEL] ... }",
                 c.sink) ||
      !checkHasBlock(block, c.sink)) {
    return;
  }
  auto& list = excluded ? c.inst.excludedAddresses : c.inst.addresses;
  auto& where = excluded ? c.src.excludedAddresses : c.src.addresses;
  for (const Node& entry : block.children) {
    AddressEntry parsed;
    if (!parseAddressEntry(entry, block.keyword, parsed, c.sink)) continue;
    if (!parsed.dev.empty() && parsed.dev.size() > kMaxInterfaceName) {
      c.sink.error(entry.where, "invalid interface name '" + parsed.dev + "' in " + block.keyword);
      continue;
    }
    // RFC 5798 §5.2.9: an advert lists addresses of one family; excluded ones are not advertised.
    if (!excluded && !list.empty() &&
        list.front().prefix.address.family() != parsed.prefix.address.family()) {
      c.sink.error(entry.where, c.owner + " mixes IPv4 and IPv6 in virtual_ipaddress ('" +
                                    entry.keyword +
                                    "'): one instance advertises one family; use two instances");
      continue;
    }
    list.push_back(vrrp::VirtualAddress{parsed.prefix, std::move(parsed.dev),
                                        std::move(parsed.label), entry.where.str()});
    where.push_back(entry.where);
  }
}

void mapUnicastPeers(const Node& block, Context& c) {
  if (!checkArgs(block, 0, 0, "unicast_peer { ADDR ... }", c.sink) ||
      !checkHasBlock(block, c.sink)) {
    return;
  }
  for (const Node& entry : block.children) {
    if (!checkNoBlock(entry, c.sink)) continue;
    auto address = IpAddress::parse(entry.keyword);
    if (!address) {
      c.sink.error(entry.where, "invalid IP address '" + entry.keyword + "' in unicast_peer");
      continue;
    }
    bool ok = true;
    for (size_t i = 0; i < entry.args.size(); i += 2) {
      const std::string& option = entry.args[i];
      if ((option == "min_ttl" || option == "max_ttl") && i + 1 < entry.args.size()) {
        // RFC 5798 §7.1 already requires TTL 255 on every advert we accept.
        c.sink.warning(entry.where,
                       "option '" + option + "' of unicast_peer not supported yet; ignored");
      } else {
        c.sink.error(entry.where, "unknown or incomplete option '" + option + "' in unicast_peer");
        ok = false;
      }
    }
    if (!ok) continue;
    c.inst.unicastPeers.push_back(*address);
    c.src.unicastPeers.push_back(entry.where);
  }
}

void mapAuthentication(const Node& block, Context& c) {
  if (!checkArgs(block, 0, 0, "authentication { auth_type PASS; auth_pass SECRET }", c.sink) ||
      !checkHasBlock(block, c.sink)) {
    return;
  }
  c.src.lines.authentication = block.where;
  bool typed = false;
  for (const Node& child : block.children) {
    if (child.keyword == "auth_type") {
      if (!checkStatement(child, 1, 1, "auth_type PASS|AH", c.sink)) continue;
      if (child.args[0] == "PASS") {
        typed = true;
        c.inst.authType = vrrp::AuthType::kSimplePassword;
      } else if (child.args[0] == "AH") {
        c.sink.error(child.where, c.owner +
                                      ": auth_type AH not supported: IPsec AH for VRRP "
                                      "(RFC 2338) was dropped by RFC 3768; use PASS or none");
      } else {
        badValue(child, "PASS or AH", c.sink);
      }
    } else if (child.keyword == "auth_pass") {
      if (!checkStatement(child, 1, 1, "auth_pass SECRET", c.sink)) continue;
      c.inst.authPass = child.args[0];
      if (c.inst.authPass.size() > kAuthPassBytes) {
        // keepalived truncates too, so a peer running keepalived agrees with us.
        c.sink.warning(child.where, c.owner + ": auth_pass longer than 8 bytes; only '" +
                                        c.inst.authPass.substr(0, kAuthPassBytes) +
                                        "' is used (RFC 3768 §5.3.10), as keepalived does");
        c.inst.authPass.resize(kAuthPassBytes);
      }
    } else {
      c.sink.error(child.where, "unknown keyword '" + child.keyword + "' in authentication");
    }
  }
  if (typed && c.inst.authPass.empty()) {
    c.sink.error(block.where, c.owner + ": auth_type PASS needs a non-empty auth_pass");
  } else if (!typed && !c.inst.authPass.empty()) {
    c.sink.warning(block.where, c.owner + ": auth_pass without 'auth_type PASS' ignored");
    c.inst.authPass.clear();
  }
}

// garp_master_* and our per-instance garp_interval / gna_interval; false if not one of them.
bool mapGarp(const Node& node, Context& c) {
  const std::string& k = node.keyword;
  bool interval = k == "garp_interval" || k == "gna_interval";
  bool counted = k == "garp_master_repeat" || k == "garp_master_refresh_repeat";
  bool timed = k == "garp_master_delay" || k == "garp_master_refresh";
  if (!interval && !counted && !timed) return false;
  if (!checkStatement(node, 1, 1, k + (counted ? " N" : " SECONDS"), c.sink)) return true;
  GarpOverrides& g = c.src.garp;
  if (interval) {
    auto value = secondsArg(node, 0, Duration{0}, kMaxGarpInterval, c.sink);
    if (value) (k == "garp_interval" ? g.garpInterval : g.gnaInterval) = *value;
  } else if (counted) {
    auto value = atLeastOneArg(node, UINT32_MAX, c.sink);
    if (value) (k == "garp_master_repeat" ? g.masterRepeat : g.masterRefreshRepeat) = *value;
  } else if (auto value = numberArg(node, 0, 0, kMaxGarpSeconds, c.sink)) {
    (k == "garp_master_delay" ? g.masterDelay : g.masterRefresh) =
        seconds(static_cast<int64_t>(*value));
  }
  return true;
}

void mapState(const Node& node, Context& c) {
  if (!checkStatement(node, 1, 1, "state MASTER|BACKUP", c.sink)) return;
  if (node.args[0] == "MASTER") {
    c.inst.initialState = vrrp::InitialState::kMaster;
  } else if (node.args[0] == "BACKUP") {
    c.inst.initialState = vrrp::InitialState::kBackup;
  } else {
    badValue(node, "MASTER or BACKUP", c.sink);
    return;
  }
  c.src.lines.state = node.where;
}

// The one-argument keywords; false if `node` is not one of them.
bool mapScalar(const Node& node, Context& c) {
  const std::string& k = node.keyword;
  auto one = [&](std::string_view usage) { return checkStatement(node, 1, 1, usage, c.sink); };
  if (k == "state") {
    mapState(node, c);
  } else if (k == "interface") {
    if (!one("interface DEV")) return true;
    if (auto name = interfaceArg(node, 0, c.sink)) {
      c.inst.interface = *name;
      c.src.lines.interface = node.where;
    }
  } else if (k == "virtual_router_id") {
    if (!one("virtual_router_id 1..255")) return true;
    if (auto vrid = numberArg(node, 0, 1, 255, c.sink)) {
      c.inst.vrid = static_cast<uint8_t>(*vrid);
      c.src.lines.vrid = node.where;
    }
  } else if (k == "priority") {
    if (!one("priority 1..255")) return true;
    if (auto priority = numberArg(node, 0, 1, vrrp::kPriorityOwner, c.sink)) {
      c.inst.priority = static_cast<uint8_t>(*priority);
      c.src.lines.priority = node.where;
    }
  } else if (k == "advert_int") {
    if (!one("advert_int SECONDS")) return true;
    if (auto interval = secondsArg(node, 0, milliseconds(10), kMaxAdvertInterval, c.sink)) {
      c.inst.advertInterval = *interval;
      c.src.lines.advertInt = node.where;
    }
  } else if (k == "version") {
    if (!one("version 2|3")) return true;
    if (auto version = numberArg(node, 0, 2, 3, c.sink)) {
      c.src.version = *version == 2 ? vrrp::Version::kV2 : vrrp::Version::kV3;
      c.src.lines.version = node.where;
    }
  } else if (k == "preempt_delay") {
    if (!one("preempt_delay SECONDS")) return true;
    if (auto delay = secondsArg(node, 0, Duration{0}, kMaxPreemptDelay, c.sink)) {
      c.inst.preemptDelay = *delay;
      c.src.lines.preemptDelay = node.where;
    }
  } else if (k == "unicast_src_ip" || k == "mcast_src_ip") {
    if (!one(k + " ADDR")) return true;
    if (auto address = addressArg(node, 0, c.sink)) {
      c.inst.unicastSource = *address;
      c.src.lines.unicastSource = node.where;
    }
  } else {
    return false;
  }
  return true;
}

void mapInstanceKeyword(const Node& node, Context& c) {
  const std::string& k = node.keyword;
  if (mapScalar(node, c) || mapGarp(node, c) ||
      mapNotifyStatement(node, c.owner, c.inst.notify, c.sink)) {
    return;
  }
  if (k == "nopreempt" || k == "preempt") {
    if (!checkStatement(node, 0, 0, k, c.sink)) return;
    c.inst.preempt = k == "preempt";  // keepalived keeps `preempt` for backwards compatibility
    c.src.lines.nopreempt = k == "nopreempt" ? node.where : SourceLocation{};
  } else if (k == "accept" || k == "no_accept") {
    if (checkStatement(node, 0, 0, k, c.sink)) c.src.accept = k == "accept";
  } else if (k == "track_sync") {
    if (auto on = boolArg(node, c.sink)) {
      c.inst.trackSync = *on;
      c.src.lines.trackSync = *on ? node.where : SourceLocation{};
    }
  } else if (k == "virtual_ipaddress" || k == "virtual_ipaddress_excluded") {
    mapAddresses(node, k == "virtual_ipaddress_excluded", c);
  } else if (k == "virtual_routes" || k == "virtual_rules") {
    mapVirtualRouting(node, c.owner, c.inst, c.src, c.rulePriorities, c.sink);
  } else if (k == "unicast_peer") {
    mapUnicastPeers(node, c);
  } else if (k == "check_unicast_src") {
    // What keepalived turns on with this is always on here: with unicast_peer, adverts from any
    // other source are dropped (vrrp/README.md).
    checkStatement(node, 0, 0, k, c.sink);
  } else if (k == "authentication") {
    mapAuthentication(node, c);
  } else if (k == "track_interface") {
    mapTrackInterfaces(node, c.owner, c.inst.trackInterfaces, c.src.trackInterfaces, c.sink);
  } else if (k == "track_script") {
    mapTrackScripts(node, c.owner, c.inst.trackScripts, c.src.trackScripts, c.sink);
  } else if (k == "track_virtual_server") {
    mapTrackVirtualServers(node, c.owner, c.inst.trackVirtualServers, c.src.trackVirtualServers,
                           c.sink);
  } else if (auto verdict = unsupportedVrrpInstanceKeyword(k)) {
    if (verdict->error) {
      c.sink.error(node.where, verdict->message);
    } else {
      c.sink.warning(node.where, verdict->message);
    }
  } else {
    c.sink.error(node.where, "unknown keyword '" + k + "' in vrrp_instance");
  }
}

}  // namespace

void mapVrrpInstance(const Node& node, MappedConfig& out, DiagnosticSink& sink) {
  bool ok = checkArgs(node, 1, 1, "vrrp_instance NAME { ... }", sink);
  ok = checkHasBlock(node, sink) && ok;
  vrrp::InstanceConfig inst;
  InstanceSource src;
  inst.name = ok ? node.args[0] : std::string("?");
  inst.location = node.where.str();
  src.where = node.where;
  Context c{inst, src, "vrrp_instance " + inst.name, sink, out.rulePriorities};
  // Keep going on a bad header: the body's own mistakes are worth reporting in the same run.
  for (const Node& child : node.children) mapInstanceKeyword(child, c);
  if (!ok) return;
  out.config.vrrp.instances.push_back(std::move(inst));
  out.vrrp.instances.push_back(std::move(src));
}

}  // namespace ha::director::config
