#pragma once
// How the director drives health checks: the whole of healthcheck/ as seen from another thread.
// healthcheck::Service is the production implementation (its own io_context thread); every call is
// posted there, and verdicts come back as value events through the listener.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/latency_histogram.h"
#include "common/result.h"
#include "healthcheck/checker.h"
#include "healthcheck/health_config.h"

namespace ha::healthcheck {

// A real's verdict: up when every one of its checkers passes (or it has none).
struct RealVerdict {
  RealKey key;
  bool up = true;
  std::optional<uint32_t> dynamicWeight;  // set by a MISC_CHECK with misc_dynamic
  std::string reason;                     // why it is down, or "" when up
  bool operator==(const RealVerdict&) const = default;
};

// A virtual server's quorum state changed (sum of live weights vs quorum +/- hysteresis).
struct QuorumVerdict {
  ServiceKey key;
  bool up = true;
  bool operator==(const QuorumVerdict&) const = default;
};

using HealthEvent = std::variant<RealVerdict, QuorumVerdict>;

// Counters of one checker of one real (a shared probe's counters appear under every real using it).
struct CheckerStatus {
  std::string kind;  // "TCP_CHECK"...
  std::string target;  // "198.51.100.11:80" (+ " /health" for HTTP)
  bool up = true;
  bool shared = false;  // this probe also serves another real/virtual server
  std::optional<bool> lastOk;  // nullopt: not probed yet
  std::string lastDetail;      // last failure's detail, "" after a pass
  std::optional<std::chrono::system_clock::time_point> lastAt;
  uint64_t probes = 0;
  uint64_t failures = 0;
  std::map<std::string, uint64_t> failuresByReason;  // failureReasonName -> count
  uint64_t inconclusive = 0;  // results that could not judge the real (engine.h onResult)
  std::chrono::nanoseconds lastLatency{0};
  std::chrono::nanoseconds meanLatency{0};
  std::chrono::nanoseconds maxLatency{0};
};

struct RealStatus {
  RealKey key;
  bool up = true;
  std::optional<uint32_t> dynamicWeight;
  std::string reason;
  uint64_t transitions = 0;
  std::optional<std::chrono::system_clock::time_point> changedAt;
  std::vector<CheckerStatus> checkers;
};

struct ServiceStatus {
  ServiceKey key;
  bool quorumUp = true;
  uint32_t liveWeight = 0;
  uint32_t quorum = 1;
  uint32_t hysteresis = 0;
};

struct HealthSnapshot {
  std::vector<RealStatus> reals;
  std::vector<ServiceStatus> services;
  uint64_t distinctProbes = 0;  // probes actually scheduled after sharing identical ones
  uint64_t probesRun = 0;
  uint64_t probesInFlight = 0;
  uint64_t staleResults = 0;   // results for a probe run that no longer exists (reload, checker bug)
  uint64_t overdueProbes = 0;  // runs the checker never answered in time, failed by the engine
  uint64_t inconclusiveResults = 0;  // failures held because our own side could not probe
  std::map<std::string, LatencyHistogram> latencyByKind;  // "TCP_CHECK" -> every answered run
};

class Control {
 public:
  virtual ~Control() = default;
  // Replaces the configuration, keeping the state and counters of every probe and real whose
  // key (and spec) did not change (keepalived's checker migrate). Blocks until the health thread
  // applied it and returns the verdict of every configured real and virtual server as of now, so
  // the caller can plan without waiting for events: new reals start up, or down with alpha.
  // An error when the health thread does not answer in time (common/post_and_wait.h).
  virtual Result<std::vector<HealthEvent>> apply(const HealthConfig& config) = 0;
  // Stops every probe and script; no more events. Logs when the health thread does not answer.
  virtual void shutdown() = 0;
  // An error when the health thread does not answer in time.
  virtual Result<HealthSnapshot> snapshot() = 0;
  // Runs `work` on this module's io_context thread, posted (does not wait): the watchdog's
  // heartbeat (director/node/watchdog.h), which only a turning loop runs.
  virtual void runOnThread(std::function<void()> work) = 0;
};

// Called on the health thread with the verdicts that changed, in order; post to your own thread.
using HealthListener = std::function<void(std::vector<HealthEvent>)>;

}  // namespace ha::healthcheck
