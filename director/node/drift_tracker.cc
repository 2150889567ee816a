#include "director/node/drift_tracker.h"

#include <algorithm>
#include <utility>

namespace ha::director {

TimePoint DriftTracker::onDrift(std::string what, TimePoint now) {
  ++counters_.drifts;
  counters_.lastDrift = std::move(what);
  counters_.lastDriftAt = now;
  counters_.repairPending = true;
  if (!burstStarted_) burstStarted_ = now;
  if (!due_) due_ = now + kSettle;
  return *due_;
}

std::optional<TimePoint> DriftTracker::onRepair(const Status& result, TimePoint now) {
  due_.reset();
  if (result) {
    ++counters_.repairs;
    if (burstStarted_) counters_.lastRepairMs = millisecondsBetween(*burstStarted_, now);
    burstStarted_.reset();
    counters_.lastRepairError.clear();
    counters_.repairPending = false;
    retry_ = kFirstRetry;
    return std::nullopt;
  }
  ++counters_.repairFailures;
  counters_.lastRepairError = result.error();
  due_ = now + retry_;
  retry_ = std::min(retry_ * 2, kMaxRetry);
  return due_;
}

}  // namespace ha::director
