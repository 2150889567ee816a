// validateServiceHealth(): health rules of one virtual_server that need the whole block — quorum
// against hysteresis, and the sorry server against the VIP and the forwarding mode.
#include <string>

#include "director/config/config_validator.h"

namespace ha::director::config {
namespace {

std::string_view familyName(const IpAddress& a) { return a.isV4() ? "IPv4" : "IPv6"; }

const SourceLocation& orService(const SourceLocation& where, const VirtualServerConfig& vs) {
  return where.line > 0 ? where : vs.where;
}

void checkQuorum(const VirtualServerConfig& vs, const ServiceKeywordLocations& loc,
                 const std::string& service, DiagnosticSink& sink) {
  if (vs.hysteresis == 0 || vs.hysteresis < vs.quorum) return;
  // keepalived (ipwrapper.c) drops the quorum below quorum - hysteresis or at no live weight at
  // all; with hysteresis >= quorum only the second can happen. Valid, but rarely what was meant.
  sink.warning(orService(loc.hysteresis, vs),
               service + ": hysteresis " + std::to_string(vs.hysteresis) + " is not below quorum " +
                   std::to_string(vs.quorum) +
                   ": the quorum is lost only when no real is up (as in keepalived)");
}

void checkSorryServer(const VirtualServerConfig& vs, const ServiceKeywordLocations& loc,
                      const std::string& service, DiagnosticSink& sink) {
  if (loc.sorryMethod && !vs.sorryServer) {
    sink.warning(loc.sorryServerMethod, service +
                                            ": sorry_server_lvs_method ignored: no "
                                            "sorry_server");
  }
  if (!vs.sorryServer) return;
  const SorryServerConfig& sorry = vs.sorryServer.value();
  const std::string name = "sorry_server " + formatEndpoint(sorry.address, sorry.port);
  if (sorry.address.family() != vs.vip.family()) {
    sink.error(sorry.where, name + " is " + std::string(familyName(sorry.address)) + " but " +
                                service + " is " + std::string(familyName(vs.vip)));
  }
  if (sorry.address == vs.vip) {
    sink.error(sorry.where, name + " in " + service + ": the sorry server's address is the VIP");
  }
  if (loc.sorryMethod && *loc.sorryMethod != vs.mode) {
    // The forwarder sends the sorry server's flows the way it sends the reals'.
    sink.error(loc.sorryServerMethod,
               service + ": sorry_server_lvs_method " +
                   std::string(forwardModeName(*loc.sorryMethod)) +
                   " not supported: the sorry server is forwarded like the reals (lb_kind " +
                   std::string(forwardModeName(vs.mode)) + ")");
  }
  if ((vs.mode == ForwardMode::kDr || vs.mode == ForwardMode::kTun) && sorry.port != vs.port) {
    sink.warning(sorry.where, name + " in " + service + ": " +
                                  std::string(forwardModeName(vs.mode)) +
                                  " does not rewrite ports; the sorry server receives port " +
                                  std::to_string(vs.port));
  }
}

}  // namespace

void validateServiceHealth(const VirtualServerConfig& vs, const ServiceKeywordLocations& loc,
                           DiagnosticSink& sink) {
  const std::string service = "virtual_server " + std::string(protocolName(vs.protocol)) + " " +
                              formatEndpoint(vs.vip, vs.port);
  checkQuorum(vs, loc, service, sink);
  checkSorryServer(vs, loc, service, sink);
}

}  // namespace ha::director::config
