// Health keywords of virtual_server and real_server (keepalived 2.2.7's check_parser.c: quorum,
// hysteresis, alpha, sorry_server, inhibit_on_failure, notify_up/down, the checker timing
// defaults) and the top-level SSL block.
#include <string>

#include "director/config/command_statement.h"
#include "director/config/health_mapping.h"
#include "director/config/node_rules.h"
#include "director/config/vrrp_statements.h"

namespace ha::director::config {
namespace {

// quorum_up / quorum_down / notify_up / notify_down: one each (keepalived keeps the first and
// logs the second; a second line is more likely a mistake than a wish to be ignored).
void mapCommand(const Node& node, std::string& field, std::string_view owner,
                DiagnosticSink& sink) {
  auto command = notifyCommandArg(node, owner, sink);
  if (!command) return;
  if (!field.empty()) {
    sink.error(node.where, "'" + node.keyword + "' given twice in " + std::string(owner));
    return;
  }
  field = *command;
}

void mapSorryServer(const Node& node, VirtualServerConfig& vs, ServiceKeywordLocations& loc,
                    DiagnosticSink& sink) {
  if (!checkStatement(node, 1, 2, "sorry_server IP [PORT]", sink)) return;
  if (vs.sorryServer) {
    sink.error(node.where, "sorry_server " + definedAt(vs.sorryServer->where));
    return;
  }
  auto address = addressArg(node, 0, sink);
  std::optional<uint16_t> port = vs.port;
  if (node.args.size() > 1) port = portArg(node, 1, 0, sink);
  if (!address || !port) return;
  // keepalived: a sorry server without a port (or port 0) takes the virtual server's.
  vs.sorryServer = SorryServerConfig{node.where, *address, *port == 0 ? vs.port : *port, false};
  loc.sorryServer = node.where;
}

bool mapQuorum(const Node& node, VirtualServerConfig& vs, ServiceKeywordLocations& loc,
               DiagnosticSink& sink) {
  const std::string& k = node.keyword;
  if (k != "quorum" && k != "hysteresis") return false;
  if (!checkStatement(node, 1, 1, k + " N", sink)) return true;
  // keepalived reads quorum 0 as 1 with an error; here it is refused: the weights of live reals
  // always sum to at least 0, so the virtual server could never lose its quorum.
  auto value = numberArg(node, 0, k == "quorum" ? 1 : 0, UINT32_MAX, sink);
  if (!value) return true;
  (k == "quorum" ? vs.quorum : vs.hysteresis) = static_cast<uint32_t>(*value);
  (k == "quorum" ? loc.quorum : loc.hysteresis) = node.where;
  return true;
}

}  // namespace

bool mapServiceHealthKeyword(const Node& node, VirtualServerConfig& vs, ServiceHealth& health,
                             ServiceKeywordLocations& loc, DiagnosticSink& sink) {
  const std::string& k = node.keyword;
  if (mapCheckTiming(node, health.own, sink) || mapQuorum(node, vs, loc, sink)) return true;
  const std::string owner =
      "virtual_server " + (vs.fwmark == 0 && vs.group.empty() ? formatEndpoint(vs.vip, vs.port)
                                                              : virtualServerName(vs));
  if (k == "virtualhost") {
    if (auto host = httpWordArg(node, owner, sink)) health.own.virtualhost = *host;
  } else if (k == "inhibit_on_failure") {
    if (auto on = boolArg(node, sink)) health.inhibitOnFailure = *on;
  } else if (k == "alpha") {
    if (auto on = boolArg(node, sink)) vs.alpha = *on;
  } else if (k == "quorum_up") {
    mapCommand(node, vs.quorumUp, owner, sink);
  } else if (k == "quorum_down") {
    mapCommand(node, vs.quorumDown, owner, sink);
  } else if (k == "sorry_server") {
    mapSorryServer(node, vs, loc, sink);
  } else if (k == "sorry_server_inhibit") {
    auto on = boolArg(node, sink);
    if (on && *on) health.sorryInhibit = node.where;
  } else if (k == "omega") {
    if (checkStatement(node, 0, 0, "omega", sink)) {
      sink.warning(node.where,
                   "keyword 'omega' ignored: quorum_down and notify_down scripts are "
                   "not run when directord stops");
    }
  } else if (k == "ha_suspend") {
    if (checkStatement(node, 0, 0, "ha_suspend", sink)) {
      sink.warning(node.where,
                   "keyword 'ha_suspend' ignored: checkers run whether or not this "
                   "node holds the VIP");
    }
  } else if (k == "smtp_alert") {
    if (boolArg(node, sink)) sink.warning(node.where, "keyword 'smtp_alert' ignored: no mail");
  } else {
    return false;
  }
  return true;
}

bool mapRealHealthKeyword(const Node& node, RealServerConfig& real, RealHealth& health,
                          bool targetKnown, DiagnosticSink& sink) {
  const std::string& k = node.keyword;
  if (mapCheckerBlock(node, real, health, targetKnown, sink)) return true;
  if (mapCheckTiming(node, health.own, sink)) return true;
  const std::string owner = "real_server " + formatEndpoint(real.address, real.port);
  if (k == "inhibit_on_failure") {
    if (auto on = boolArg(node, sink)) health.inhibitOnFailure = *on;
  } else if (k == "notify_up") {
    mapCommand(node, real.notifyUp, owner, sink);
  } else if (k == "notify_down") {
    mapCommand(node, real.notifyDown, owner, sink);
  } else if (k == "virtualhost") {
    if (auto host = httpWordArg(node, owner, sink)) health.own.virtualhost = *host;
  } else if (k == "alpha") {
    sink.error(node.where,
               "keyword 'alpha' in real_server not supported: alpha applies to a "
               "whole virtual_server; write it there");
  } else if (k == "smtp_alert") {
    if (boolArg(node, sink)) sink.warning(node.where, "keyword 'smtp_alert' ignored: no mail");
  } else {
    return false;
  }
  return true;
}

void mapSslBlock(const Node& node, MappedConfig& out, DiagnosticSink& sink) {
  if (!checkArgs(node, 0, 0, "SSL { ca FILE  certificate FILE  key FILE }", sink) ||
      !checkHasBlock(node, sink)) {
    return;
  }
  if (out.ssl) {
    sink.error(node.where, "SSL " + definedAt(out.ssl->where));
    return;
  }
  SslSettings ssl{node.where, {}, {}, {}};
  for (const Node& child : node.children) {
    const std::string& k = child.keyword;
    std::string* field = k == "ca"            ? &ssl.caFile
                         : k == "certificate" ? &ssl.certFile
                         : k == "key"         ? &ssl.keyFile
                                              : nullptr;
    if (field == nullptr && k != "password") {
      sink.error(child.where, "unknown keyword '" + k + "' in SSL");
      continue;
    }
    if (!checkStatement(child, 1, 1, k + " VALUE", sink)) continue;
    const std::string& value = child.args[0];
    if (field == nullptr) {
      if (!value.empty()) {
        sink.error(child.where,
                   "SSL password not supported: directord cannot decrypt the key "
                   "file; give an unencrypted key");
      }
    } else if (value.empty()) {
      sink.error(child.where, "empty file name for '" + k + "' in SSL");
    } else if (!field->empty()) {
      sink.error(child.where, "'" + k + "' given twice in SSL");
    } else {
      *field = value;
    }
  }
  if (ssl.certFile.empty() != ssl.keyFile.empty()) {
    // A client identity needs both halves; one alone fails every handshake that asks for it.
    sink.error(node.where, "SSL needs both 'certificate' and 'key', or neither");
  }
  out.ssl = std::move(ssl);
}

void applySslSettings(MappedConfig& out) {
  if (!out.ssl) return;
  for (auto& vs : out.config.virtualServers) {
    for (auto& real : vs.reals) {
      for (auto& checker : real.checkers) {
        if (checker.probe.kind != healthcheck::CheckKind::kHttps) continue;
        checker.probe.caFile = out.ssl->caFile;
        checker.probe.certFile = out.ssl->certFile;
        checker.probe.keyFile = out.ssl->keyFile;
      }
    }
  }
}

}  // namespace ha::director::config
