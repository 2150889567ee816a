// virtual_server and real_server: keepalived's check_parser.c keywords, plus our mh_table_size
// and ftp_helper.
// Their health keywords and checker blocks are map_service_health.cc's and map_checker.cc's.
#include <algorithm>
#include <cctype>
#include <string>
#include <utility>

#include "director/config/config_mapper.h"
#include "director/config/health_mapping.h"
#include "director/config/keyword_tables.h"
#include "director/config/known_schedulers.h"
#include "director/config/node_rules.h"
#include "director/config/value_parsers.h"
#include "director/config/vrrp_statements.h"

namespace ha::director::config {
namespace {

// IPVS's default when persistence_timeout is given without a value (keepalived check_parser.c).
constexpr uint32_t kDefaultPersistenceSec = 360;
// Largest Maglev table we build; the table is installed as map elements, one per slot.
constexpr uint64_t kMaxMaglevTableSize = 1000003;

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::toupper(static_cast<unsigned char>(x)) ==
           std::toupper(static_cast<unsigned char>(y));
  });
}

void badValue(const Node& node, std::string_view expected, DiagnosticSink& sink) {
  sink.error(node.where, "invalid value '" + node.args[0] + "' for '" + node.keyword +
                             "': expected " + std::string(expected));
}

void mapRealServer(const Node& node, VirtualServerConfig& vs, ServiceHealth& health,
                   DiagnosticSink& sink) {
  RealServerConfig real;
  RealHealth realHealth;
  realHealth.trackFiles = health.trackFiles;
  real.where = node.where;
  // keepalived 2.0.7+: the port may be left out (0), as an fwmark service's reals keep the
  // packet's port; the validator says where 0 cannot work.
  bool ok = checkArgs(node, 1, 2, "real_server IP [PORT] { ... }", sink);
  if (ok) {
    auto address = addressArg(node, 0, sink);
    auto port = node.args.size() > 1 ? portArg(node, 1, 0, sink) : std::optional<uint16_t>(0);
    ok = address && port;
    if (ok) {
      real.address = *address;
      real.port = *port;
    }
  }
  for (const Node& child : node.children) {
    const std::string& k = child.keyword;
    if (k == "weight") {
      if (!checkStatement(child, 1, 1, "weight N", sink)) continue;
      if (auto weight = numberArg(child, 0, 0, UINT16_MAX, sink)) {
        real.weight = static_cast<uint32_t>(*weight);
      }
    } else if (k == "uthreshold" || k == "lthreshold") {
      sink.warning(child.where,
                   "keyword '" + k + "' not supported yet: connection thresholds are not enforced");
    } else if (mapRealHealthKeyword(child, real, realHealth, ok, sink)) {
      continue;
    } else if (k == "lb_kind" || k == "lvs_method") {
      sink.error(child.where, "keyword '" + k + "' in real_server not supported yet");
    } else {
      sink.error(child.where, "unknown keyword '" + k + "' in real_server");
    }
  }
  if (!ok) return;
  vs.reals.push_back(std::move(real));
  health.reals.push_back(std::move(realHealth));
}

void mapProtocol(const Node& node, VirtualServerConfig& vs, DiagnosticSink& sink) {
  if (!checkStatement(node, 1, 1, "protocol TCP|UDP", sink)) return;
  const std::string& value = node.args[0];
  if (equalsIgnoreCase(value, "TCP")) {
    vs.protocol = Protocol::kTcp;
  } else if (equalsIgnoreCase(value, "UDP")) {
    vs.protocol = Protocol::kUdp;
  } else if (equalsIgnoreCase(value, "SCTP")) {
    sink.error(node.where, "protocol SCTP not supported yet");
  } else {
    badValue(node, "TCP or UDP", sink);
  }
}

void mapScheduler(const Node& node, VirtualServerConfig& vs, ServiceKeywordLocations& loc,
                  DiagnosticSink& sink) {
  if (!checkStatement(node, 1, 1, node.keyword + " SCHEDULER", sink)) return;
  if (!isKnownScheduler(node.args[0])) {
    sink.error(node.where, "scheduler '" + node.args[0] + "' for '" + node.keyword +
                               "' not supported: " + unknownSchedulerReason(node.args[0]));
    return;
  }
  vs.scheduler = node.args[0];
  loc.lbAlgo = node.where;
}

// lb_kind / lvs_method / sorry_server_lvs_method.
std::optional<ForwardMode> forwardModeArg(const Node& node, DiagnosticSink& sink) {
  if (!checkStatement(node, 1, 1, node.keyword + " NAT|DR|TUN|FNAT", sink)) return std::nullopt;
  const std::string& value = node.args[0];
  if (equalsIgnoreCase(value, "NAT")) return ForwardMode::kNat;
  if (equalsIgnoreCase(value, "DR")) return ForwardMode::kDr;
  if (equalsIgnoreCase(value, "TUN")) return ForwardMode::kTun;
  if (equalsIgnoreCase(value, "FNAT") || equalsIgnoreCase(value, "FULLNAT")) {
    return ForwardMode::kFullNat;
  }
  badValue(node, "NAT, DR, TUN, FNAT or FULLNAT", sink);
  return std::nullopt;
}

void mapPersistence(const Node& node, VirtualServerConfig& vs, DiagnosticSink& sink) {
  if (!checkStatement(node, 0, 1, "persistence_timeout [SECONDS]", sink)) return;
  if (node.args.empty()) {
    vs.persistenceTimeoutSec = kDefaultPersistenceSec;
    return;
  }
  if (auto seconds = numberArg(node, 0, 0, UINT32_MAX, sink)) {
    if (*seconds == 0) {
      vs.persistenceTimeoutSec.reset();  // keepalived: 0 turns persistence off
    } else {
      vs.persistenceTimeoutSec = static_cast<uint32_t>(*seconds);
    }
  }
}

void mapMaglevTableSize(const Node& node, VirtualServerConfig& vs, ServiceKeywordLocations& loc,
                        DiagnosticSink& sink) {
  if (!checkStatement(node, 1, 1, "mh_table_size PRIME", sink)) return;
  auto size = numberArg(node, 0, 2, kMaxMaglevTableSize, sink);
  if (!size) return;
  if (!isPrime(*size)) {
    // Maglev (NSDI'16) §3.4: with a prime size every permutation visits every slot.
    badValue(node, "a prime number (Maglev permutations need a prime table size)", sink);
    return;
  }
  vs.mhTableSize = static_cast<uint32_t>(*size);
  loc.mhTableSize = node.where;
}

void mapServiceKeyword(const Node& node, VirtualServerConfig& vs, ServiceKeywordLocations& loc,
                       ServiceHealth& health, DiagnosticSink& sink) {
  const std::string& k = node.keyword;
  if (k == "real_server") {
    mapRealServer(node, vs, health, sink);
  } else if (k == "protocol") {
    mapProtocol(node, vs, sink);
  } else if (k == "lb_algo" || k == "lvs_sched") {
    mapScheduler(node, vs, loc, sink);
  } else if (k == "lb_kind" || k == "lvs_method") {
    if (auto mode = forwardModeArg(node, sink)) {
      vs.mode = *mode;
      loc.lbKind = node.where;
    }
  } else if (k == "sorry_server_lvs_method") {
    // Checked against lb_kind by the validator, which sees the whole block.
    if (auto mode = forwardModeArg(node, sink)) {
      loc.sorryMethod = *mode;
      loc.sorryServerMethod = node.where;
    }
  } else if (k == "persistence_timeout") {
    mapPersistence(node, vs, sink);
  } else if (k == "persistence_granularity") {
    mapPersistenceGranularity(node, vs, sink);
  } else if (k == "lvs_timeouts") {
    mapLvsTimeouts(node, vs.lvsTimeouts, sink);
  } else if (k == "ops") {
    if (checkStatement(node, 0, 0, "ops", sink)) vs.oneShot = true;
  } else if (k == "mh_table_size") {
    mapMaglevTableSize(node, vs, loc, sink);
  } else if (k == "laddr_group_name") {
    if (!checkStatement(node, 1, 1, "laddr_group_name NAME", sink)) return;
    vs.laddrGroup = node.args[0];
    loc.laddrGroup = node.where;
  } else if (mapServiceHealthKeyword(node, vs, health, loc, sink)) {
    return;
  } else if (k == "ftp_helper") {
    if (auto on = boolArg(node, sink)) {
      vs.ftpHelper = *on;
      loc.ftpHelper = node.where;
    }
  } else if (k == "client_address") {
    if (!checkStatement(node, 1, 1, "client_address toa|none", sink)) return;
    if (node.args[0] != "toa" && node.args[0] != "none") {
      badValue(node, "toa or none", sink);
      return;
    }
    vs.clientAddressToa = node.args[0] == "toa";
    loc.clientAddress = node.where;
  } else if (k == "sh-port" || k == "mh-port") {
    if (!checkStatement(node, 0, 0, k, sink)) return;
    vs.schedulerFlags.insert(k);
    loc.flags = node.where;
  } else if (k == "sh-fallback" || k == "mh-fallback") {
    sink.warning(node.where, "keyword '" + k + "' not supported yet; ignored");
  } else if (isUnsupportedServiceKeyword(k)) {
    sink.error(node.where, "keyword '" + k + "' in virtual_server not supported yet");
  } else {
    sink.error(node.where, "unknown keyword '" + k + "' in virtual_server");
  }
}

// `virtual_server IP PORT`, `virtual_server fwmark N` or `virtual_server group NAME`. The family
// of an fwmark or group service is settled once every block is read (completeServiceGroups).
bool mapServiceHeader(const Node& node, VirtualServerConfig& vs, DiagnosticSink& sink) {
  if (!node.args.empty() && node.args[0] == "fwmark") {
    if (!checkArgs(node, 2, 2, "virtual_server fwmark N { ... }", sink)) return false;
    // IPVS_FWMARK_MAX; mark 0 is "no mark", which no rule can select.
    auto mark = numberArg(node, 1, 0, UINT32_MAX, sink);
    if (!mark) return false;
    if (*mark == 0) {
      sink.error(node.where,
                 "virtual_server fwmark 0: 0 is an unmarked packet, no rule selects it");
      return false;
    }
    vs.fwmark = static_cast<uint32_t>(*mark);
    return true;
  }
  if (!node.args.empty() && node.args[0] == "group") {
    if (!checkArgs(node, 2, 2, "virtual_server group NAME { ... }", sink)) return false;
    vs.group = node.args[1];
    return true;
  }
  if (!checkArgs(node, 2, 2, "virtual_server IP PORT { ... }", sink)) return false;
  auto vip = addressArg(node, 0, sink);
  auto port = portArg(node, 1, 1, sink);
  if (!vip || !port) return false;
  vs.vip = *vip;
  vs.port = *port;
  return true;
}

}  // namespace

// keepalived (check_data.c): a virtual server without lb_algo gets IPVS's default, wlc, with a
// warning. DR and TUN pick their real at ingress, before conntrack, where no connection counts
// exist: they get mh with mh-port instead (per connection, the same real on every director).
void applyDefaultScheduler(const Node& node, VirtualServerConfig& vs,
                           const ServiceKeywordLocations& loc, bool& noted, DiagnosticSink& sink) {
  if (loc.lbAlgo.line != 0) return;
  if (vs.mode == ForwardMode::kDr || vs.mode == ForwardMode::kTun) {
    vs.scheduler = "mh";
    vs.schedulerFlags.insert("mh-port");
    sink.warning(node.where, virtualServerName(vs) +
                                 ": no scheduler set; keepalived's default 'wlc' counts "
                                 "connections, which " +
                                 std::string(forwardModeName(vs.mode)) +
                                 " does not see here (it picks the real before conntrack): "
                                 "setting 'mh' with mh-port");
    return;
  }
  // Once: thousands of generated services must not bury the config's real diagnostics.
  if (std::exchange(noted, true)) return;
  sink.note(node.where, virtualServerName(vs) + ": no scheduler set, setting default '" +
                            vs.scheduler +
                            "' (as keepalived; the same for every virtual_server "
                            "without lb_algo)");
}

void mapVirtualServer(const Node& node, MappedConfig& out, DiagnosticSink& sink) {
  VirtualServerConfig vs;
  vs.where = node.where;
  ServiceKeywordLocations loc;
  bool ok = mapServiceHeader(node, vs, sink);
  ok = checkHasBlock(node, sink) && ok;
  // Keep going on a bad header: the body's own mistakes are worth reporting in the same run.
  ServiceHealth health;
  health.trackFiles = &out.config.trackFiles;
  for (const Node& child : node.children) mapServiceKeyword(child, vs, loc, health, sink);
  checkOneShot(node, vs, sink);
  applyDefaultScheduler(node, vs, loc, out.defaultSchedulerNoted, sink);
  if (!ok) return;
  resolveHealth(vs, health, sink);
  out.config.virtualServers.push_back(std::move(vs));
  out.serviceKeywords.push_back(loc);
}

}  // namespace ha::director::config
