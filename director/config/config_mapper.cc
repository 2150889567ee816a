#include "director/config/config_mapper.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <string_view>

#include "director/config/keyword_tables.h"
#include "director/config/node_rules.h"
#include "director/config/value_parsers.h"

namespace ha::director::config {

MappedConfig mapConfig(const ConfigTree& tree, DiagnosticSink& sink) {
  MappedConfig out;
  for (const Node& node : tree.roots) {
    if (node.keyword == "track_file") mapTrackFile(node, out, sink);
  }
  for (const Node& node : tree.roots) {
    const std::string& k = node.keyword;
    if (k == "track_file") {
      continue;  // mapped above
    } else if (k == "global_defs") {
      if (checkArgs(node, 0, 0, "global_defs { ... }", sink) && checkHasBlock(node, sink)) {
        mapGlobalDefs(node, out, sink);
      }
    } else if (k == "virtual_server") {
      mapVirtualServer(node, out, sink);
    } else if (k == "virtual_server_group") {
      mapVirtualServerGroup(node, out, sink);
    } else if (k == "local_address_group") {
      mapLocalAddressGroup(node, out, sink);
    } else if (k == "static_ipaddress") {
      mapStaticIpaddress(node, out.config, sink);
    } else if (k == "static_routes") {
      mapStaticRoutes(node, out, sink);
    } else if (k == "static_rules") {
      mapStaticRules(node, out, sink);
    } else if (k == "vrrp_instance") {
      mapVrrpInstance(node, out, sink);
    } else if (k == "vrrp_script") {
      mapVrrpScript(node, out, sink);
    } else if (k == "vrrp_sync_group") {
      mapVrrpSyncGroup(node, out, sink);
    } else if (k == "SSL") {
      mapSslBlock(node, out, sink);
    } else if (k == "connection_sync") {
      mapConnectionSync(node, out, sink);
    } else if (auto refusal = unsupportedTopLevelBlock(k)) {
      sink.error(node.where, *refusal);
    } else {
      sink.error(node.where, "unknown keyword '" + k + "'");
    }
  }
  applySslSettings(out);
  completeVrrp(out, sink);
  completeSync(out);
  expandLocalAddressGroups(out, sink);
  completeServiceGroups(out, sink);
  checkRoutingOwners(out, sink);
  return out;
}

namespace {

std::optional<TableOwnership> parseTableOwnership(std::string_view text) {
  if (text == "persist") return TableOwnership::kPersistent;
  if (text == "process") return TableOwnership::kProcess;
  if (text == "none") return TableOwnership::kNone;
  return std::nullopt;
}

// POSIX portable user/group names (useradd's rule): [A-Za-z_][A-Za-z0-9_.-]*, at most 32.
bool isGroupName(std::string_view name) {
  if (name.empty() || name.size() > 32) return false;
  if (!(std::isalpha(static_cast<unsigned char>(name[0])) != 0 || name[0] == '_')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.';
  });
}

}  // namespace

void mapGlobalDefs(const Node& node, MappedConfig& out, DiagnosticSink& sink) {
  GlobalDefs& globals = out.config.globals;
  for (const Node& child : node.children) {
    const std::string& k = child.keyword;
    if (mapVrrpGlobal(child, out.vrrp.globals, sink)) continue;
    if (k == "router_id") {
      if (checkStatement(child, 1, 1, "router_id NAME", sink)) globals.routerId = child.args[0];
    } else if (k == "lb_hash_seed") {
      if (!checkStatement(child, 1, 1, "lb_hash_seed N", sink)) continue;
      if (auto seed = parseHashSeed(child.args[0])) {
        globals.hashSeed = *seed;
      } else {
        sink.error(child.where,
                   "invalid value '" + child.args[0] +
                       "' for 'lb_hash_seed': expected a 32-bit decimal or 0x hex number");
      }
    } else if (k == "nftables_owner") {
      if (!checkStatement(child, 1, 1, "nftables_owner persist|process|none", sink)) continue;
      if (auto ownership = parseTableOwnership(child.args[0])) {
        globals.tableOwnership = *ownership;
      } else {
        sink.error(child.where, "invalid value '" + child.args[0] +
                                    "' for 'nftables_owner': expected persist, process or none");
      }
    } else if (k == "admin_group") {
      if (!checkStatement(child, 1, 1, "admin_group NAME", sink)) continue;
      if (isGroupName(child.args[0])) {
        globals.adminGroup = child.args[0];
      } else {
        sink.error(child.where,
                   "invalid group name '" + child.args[0] +
                       "' for 'admin_group': expected letters, digits, '_', '-', '.' (not first)");
      }
    } else if (k == "metrics_listen") {
      if (!checkStatement(child, 2, 2, "metrics_listen ADDR PORT", sink)) continue;
      if (globals.metricsListen) {
        sink.error(child.where, "metrics_listen given twice (first at " +
                                    globals.metricsListen->where.str() + ")");
        continue;
      }
      auto address = addressArg(child, 0, sink);
      auto port = portArg(child, 1, 1, sink);
      if (!address || !port) continue;
      globals.metricsListen = ListenAddress{*address, *port, child.where};
    } else if (k == "lvs_timeouts") {
      mapLvsTimeouts(child, globals.lvsTimeouts, sink);
    } else if (isKeepalivedGlobalDefsKeyword(k)) {
      // Mail, SNMP, process tuning: global_defs never decides what is forwarded (README.md).
      sink.warning(child.where, "keyword '" + k + "' in global_defs not supported yet; ignored");
    } else {
      sink.warning(child.where, "unknown keyword '" + k + "' in global_defs; ignored");
    }
  }
}

}  // namespace ha::director::config
