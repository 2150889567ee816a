// Engine::snapshot(): what `directorctl list` shows. Built on request only, so the probe path
// never formats a string for it.
#include <algorithm>
#include <limits>

#include "healthcheck/engine.h"
#include "healthcheck/engine_parts.h"
#include "healthcheck/file_check.h"

namespace ha::healthcheck {
namespace {

// "198.51.100.11:80 /health" for HTTP: the endpoint and every url path it fetches.
std::string targetOf(const ProbeSpec& spec) {
  std::string target = endpointOf(spec);
  if (spec.kind == CheckKind::kHttp || spec.kind == CheckKind::kHttps) {
    for (const UrlCheck& url : spec.urls) target += " " + url.path;
  }
  return target;
}

}  // namespace

HealthSnapshot Engine::snapshot(TimePoint now, std::chrono::system_clock::time_point wallNow) const {
  auto wall = [&](TimePoint at) {
    return wallNow - std::chrono::duration_cast<std::chrono::system_clock::duration>(now - at);
  };
  HealthSnapshot out;
  out.reals.reserve(reals_.size());
  for (const Real& real : reals_) {
    RealStatus& status = out.reals.emplace_back();
    status.key = real.config.key;
    status.up = real.up;
    status.dynamicWeight = real.dynamicWeight;
    status.reason = real.up ? std::string() : downReason(real);
    status.transitions = real.transitions;
    if (real.changedAt) status.changedAt = wall(*real.changedAt);
    for (uint32_t slot : real.probes) {
      const Probe& probe = *slots_[slot].probe;
      CheckerStatus& checker = status.checkers.emplace_back();
      checker.kind = std::string(checkKindName(probe.spec.kind));
      checker.target = targetOf(probe.spec);
      checker.up = probe.tracker.up();
      checker.shared = probe.users.size() > 1;
      checker.lastOk = probe.lastOk;
      checker.lastDetail = probe.lastDetail;
      if (probe.lastAt) checker.lastAt = wall(*probe.lastAt);
      checker.probes = probe.probes;
      checker.failures = probe.failures;
      for (size_t reason = 0; reason < kReasonCount; ++reason) {
        if (probe.failuresByReason[reason] == 0) continue;
        checker.failuresByReason.emplace(failureReasonName(static_cast<FailureReason>(reason)),
                                         probe.failuresByReason[reason]);
      }
      checker.inconclusive = probe.inconclusive;
      checker.lastLatency = probe.lastLatency;
      checker.maxLatency = probe.maxLatency;
      if (probe.probes > 0) {
        checker.meanLatency = probe.totalLatency / static_cast<Duration::rep>(probe.probes);
      }
    }
    for (const FileCheckConfig& file : real.files) {
      CheckerStatus& checker = status.checkers.emplace_back();
      const int64_t value = fileValue(file.path);
      const FileCheckEffect effect = fileCheckEffect(value, file.weight, file.reverse);
      checker.kind = "FILE_CHECK";
      checker.target = file.trackName + " " + file.path;
      checker.up = !effect.down;
      checker.lastOk = !effect.down;
      checker.lastDetail =
          "value " + std::to_string(value) +
          (effect.weightDelta != 0 ? ", weight " + std::string(effect.weightDelta > 0 ? "+" : "") +
                                         std::to_string(effect.weightDelta)
                                   : std::string());
    }
  }
  out.services.reserve(servers_.size());
  for (const VirtualServer& server : servers_) {
    ServiceStatus& status = out.services.emplace_back();
    status.key = server.config.key;
    status.quorumUp = server.quorumUp;
    status.liveWeight = static_cast<uint32_t>(
        std::min<uint64_t>(server.liveWeight, std::numeric_limits<uint32_t>::max()));
    status.quorum = server.config.quorum;
    status.hysteresis = server.config.hysteresis;
  }
  out.distinctProbes = index_.size();
  out.probesRun = probesRun_;
  out.probesInFlight = inFlight_;
  out.staleResults = staleResults_;
  out.overdueProbes = overdueProbes_;
  out.inconclusiveResults = inconclusive_;
  for (const auto& [kind, histogram] : latencyByKind_) {
    out.latencyByKind.emplace(checkKindName(kind), histogram);
  }
  return out;
}

}  // namespace ha::healthcheck
