#include "director/config/config_model.h"

#include <algorithm>

namespace ha::director {

std::string_view protocolName(Protocol p) {
  switch (p) {
    case Protocol::kTcp:
      return "TCP";
    case Protocol::kUdp:
      return "UDP";
  }
  return "?";
}

std::string_view forwardModeName(ForwardMode m) {
  switch (m) {
    case ForwardMode::kNat:
      return "NAT";
    case ForwardMode::kFullNat:
      return "FNAT";
    case ForwardMode::kDr:
      return "DR";
    case ForwardMode::kTun:
      return "TUN";
  }
  return "?";
}

std::string virtualServerName(const VirtualServerConfig& vs) {
  if (vs.fwmark != 0) return "FWM " + std::to_string(vs.fwmark) + (vs.vip.isV4() ? "" : " IPv6");
  if (!vs.group.empty()) return std::string(protocolName(vs.protocol)) + " group " + vs.group;
  return std::string(protocolName(vs.protocol)) + " " + formatEndpoint(vs.vip, vs.port);
}

std::string Diagnostic::str() const {
  // Line 0 means the whole file (e.g. it could not be read); "file:0" would point nowhere.
  std::string out = where.line > 0 ? where.str() : where.file;
  out += severity == Severity::kError  ? ": error: "
         : severity == Severity::kNote ? ": note: "
                                       : ": warning: ";
  out += message;
  return out;
}

bool LoadResult::hasErrors() const {
  return std::any_of(diagnostics.begin(), diagnostics.end(), [](const Diagnostic& d) {
    return d.severity == Diagnostic::Severity::kError;
  });
}

}  // namespace ha::director
