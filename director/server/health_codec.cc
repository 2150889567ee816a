// Health status -> admin.proto (the third part of admin_codec.h, beside vrrp_codec.cc).
#include <algorithm>
#include <chrono>

#include "director/server/admin_codec.h"

namespace ha::director {
namespace {

namespace pb = directord::admin;
using WallTime = std::chrono::system_clock::time_point;

// A timestamp a little ahead of `now` (taken on another thread a moment later) reads as 0, not
// as an unsigned wrap-around of eighteen quintillion milliseconds.
uint64_t ageMs(WallTime at, WallTime now) {
  auto age = std::chrono::duration_cast<std::chrono::milliseconds>(now - at).count();
  return static_cast<uint64_t>(std::max<decltype(age)>(age, 0));
}

uint64_t micros(std::chrono::nanoseconds d) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return static_cast<uint64_t>(std::max<decltype(us)>(us, 0));
}

pb::CheckerStatus::Outcome outcomeOf(const std::optional<bool>& lastOk) {
  if (!lastOk) return pb::CheckerStatus::OUTCOME_NOT_PROBED;
  return *lastOk ? pb::CheckerStatus::OUTCOME_PASSED : pb::CheckerStatus::OUTCOME_FAILED;
}

void setChecker(const healthcheck::CheckerStatus& in, WallTime now, pb::CheckerStatus* out) {
  out->set_kind(in.kind);
  out->set_target(in.target);
  out->set_up(in.up);
  out->set_shared(in.shared);
  out->set_last_outcome(outcomeOf(in.lastOk));
  out->set_last_detail(in.lastDetail);
  if (in.lastAt) out->set_last_age_ms(ageMs(*in.lastAt, now));
  out->set_probes(in.probes);
  out->set_failures(in.failures);
  for (const auto& [reason, count] : in.failuresByReason) {
    (*out->mutable_failures_by_reason())[reason] = count;
  }
  out->set_latency_last_us(micros(in.lastLatency));
  out->set_latency_mean_us(micros(in.meanLatency));
  out->set_latency_max_us(micros(in.maxLatency));
  out->set_inconclusive(in.inconclusive);
}

}  // namespace

void setRealHealth(const RealSnapshot& real, WallTime now, pb::RealStatus* out) {
  const PlannedReal& planned = real.real;
  out->set_configured_weight(planned.configuredWeight);
  const bool checked = real.health && !real.health->checkers.empty();
  // The plan's verdict, not the health thread's: it is what the forwarder does now, and what the
  // weight and in_rotation beside it say. The two differ only while a flip is being planned.
  if (!planned.healthy) {
    out->set_health(planned.inhibitOnFailure ? "inhibited" : "down");
    out->set_reason(!planned.healthReason.empty() || !real.health ? planned.healthReason
                                                                  : real.health->reason);
  } else if (checked) {
    out->set_health("up");
  }
  if (!real.health) return;
  const healthcheck::RealStatus& status = *real.health;
  if (status.dynamicWeight) out->set_dynamic_weight(*status.dynamicWeight);
  out->set_transitions(status.transitions);
  if (status.changedAt) out->set_changed_age_ms(ageMs(*status.changedAt, now));
  for (const healthcheck::CheckerStatus& checker : status.checkers) {
    setChecker(checker, now, out->add_checkers());
  }
}

}  // namespace ha::director
