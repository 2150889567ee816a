// Display names shared by the config, the snapshot and the logs.
#include <array>

#include "healthcheck/checker.h"
#include "healthcheck/health_config.h"

namespace ha::healthcheck {
namespace {

std::string protocolName(uint8_t protocol) {
  if (protocol == 6) return "TCP";
  if (protocol == 17) return "UDP";
  return "proto " + std::to_string(protocol);
}

}  // namespace

std::string_view checkKindName(CheckKind kind) {
  switch (kind) {
    case CheckKind::kTcp: return "TCP_CHECK";
    case CheckKind::kHttp: return "HTTP_GET";
    case CheckKind::kHttps: return "SSL_GET";
    case CheckKind::kUdp: return "UDP_CHECK";
    case CheckKind::kMisc: return "MISC_CHECK";
  }
  return "?";
}

std::string_view failureReasonName(FailureReason reason) {
  static constexpr std::array<std::string_view, static_cast<size_t>(FailureReason::kCount)> kNames = {
      "none",         "local-error",     "connect-refused", "unreachable",     "connect-timeout",
      "timeout",      "tls-handshake",   "tls-verify",      "bad-response",    "too-large",
      "closed-early", "status-mismatch", "digest-mismatch", "reply-mismatch",  "script-failed",
      "script-timeout", "script-killed"};
  auto index = static_cast<size_t>(reason);
  return index < kNames.size() ? kNames[index] : "?";
}

std::string ServiceKey::str() const { return protocolName(protocol) + " " + formatEndpoint(vip, vport); }

std::string RealKey::str() const {
  return protocolName(protocol) + " " + formatEndpoint(vip, vport) + " -> " + formatEndpoint(address, port);
}

}  // namespace ha::healthcheck
