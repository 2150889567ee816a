// Display names shared by the config, the snapshot and the logs.
#include <array>

#include "healthcheck/checker.h"
#include "healthcheck/health_config.h"

namespace ha::healthcheck {
std::string_view failureReasonName(FailureReason reason) {
  static constexpr std::array<std::string_view, static_cast<size_t>(FailureReason::kCount)> kNames = {
      "none",         "local-error",     "connect-refused", "unreachable",     "connect-timeout",
      "timeout",      "tls-handshake",   "tls-verify",      "bad-response",    "too-large",
      "closed-early", "status-mismatch", "digest-mismatch", "reply-mismatch",  "script-failed",
      "script-timeout", "script-killed"};
  auto index = static_cast<size_t>(reason);
  return index < kNames.size() ? kNames[index] : "?";
}

}  // namespace ha::healthcheck
