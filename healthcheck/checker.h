#pragma once
// The port every checker implements (docs/style.md §3): one asynchronous probe, nothing more.
// Retries, rise/fall, scheduling and sharing identical probes are the tracker's job (tracker.h), so
// no checker re-implements them (keepalived's checkers each carry their own retry loop).
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "healthcheck/health_config.h"

namespace ha::healthcheck {

// Why a probe failed; counted per probe and shown by `directorctl list`.
enum class FailureReason : uint8_t {
  kNone = 0,
  kLocalError,       // socket/bind/spawn failed on our side
  kConnectRefused,   // RST (or ICMP port unreachable for UDP)
  kUnreachable,      // ICMP host/net unreachable, no route
  kConnectTimeout,   // no answer to the connect within connect_timeout
  kTimeout,          // connected, but the exchange did not finish within connect_timeout
  kTlsHandshake,     // the TLS handshake failed
  kTlsVerify,        // the certificate did not verify (verify_peer)
  kBadResponse,      // not HTTP, a malformed status line, header or chunk
  kTooLarge,         // headers or body beyond our limits
  kClosedEarly,      // the peer closed or reset before the response was complete
  kStatusMismatch,   // HTTP status not in status_code
  kDigestMismatch,   // body MD5 differs from digest
  kReplyMismatch,    // UDP reply missing or not the expected bytes
  kScriptFailed,     // MISC_CHECK exit 1 (or any exit without misc_dynamic but 0)
  kScriptTimeout,    // MISC_CHECK ran past misc_timeout and was killed
  kScriptKilled,     // MISC_CHECK died by a signal
  kCount
};
std::string_view failureReasonName(FailureReason reason);  // "connect-refused", "timeout", ...
// Failures in which nothing came back from the real, so our own side may be the cause: a full
// conntrack table drops our SYN on output and connect() is never told (it just times out), or a
// send is refused locally. A refusal, a reply or a script's own verdict is the real's answer.
constexpr bool failureCouldBeLocal(FailureReason reason) {
  return reason == FailureReason::kLocalError || reason == FailureReason::kConnectTimeout ||
         reason == FailureReason::kScriptTimeout;
}

struct ProbeResult {
  bool ok = false;
  FailureReason reason = FailureReason::kNone;
  std::string detail;  // one line for operators: "HTTP 503 for /health (expected 200-299)"
  std::optional<uint32_t> dynamicWeight;  // MISC_CHECK with misc_dynamic
  std::chrono::nanoseconds latency{0};    // probe start to verdict

  static ProbeResult pass(std::chrono::nanoseconds latency = {}) {
    ProbeResult r;
    r.ok = true;
    r.latency = latency;
    return r;
  }
  static ProbeResult fail(FailureReason reason, std::string detail, std::chrono::nanoseconds latency = {}) {
    ProbeResult r;
    r.reason = reason;
    r.detail = std::move(detail);
    r.latency = latency;
    return r;
  }
};

class Checker {
 public:
  using Done = std::function<void(ProbeResult)>;
  virtual ~Checker() = default;
  // Starts one probe on the checker's io_context. `done` runs exactly once, on that io_context
  // and never inside probe(), within the spec's own time limit (connect_timeout, or misc_timeout)
  // plus scheduling slack: a peer that trickles bytes or never answers cannot hold a probe. Memory
  // per probe is bounded whatever the peer sends. If the checker is destroyed first, `done` is
  // dropped without a call and every socket/child of its probes is closed/killed.
  virtual void probe(const ProbeSpec& spec, Done done) = 0;
};

}  // namespace ha::healthcheck
