#pragma once
// Time as a port: production reads the monotonic clock, tests advance a ManualClock.
#include <chrono>

namespace ha {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = Clock::duration;

// For counters and logs: how long from `from` to `to`, in milliseconds.
inline double millisecondsBetween(TimePoint from, TimePoint to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

class TimeSource {
 public:
  virtual ~TimeSource() = default;
  virtual TimePoint now() const = 0;
};

class SteadyTimeSource final : public TimeSource {
 public:
  TimePoint now() const override { return Clock::now(); }
};

}  // namespace ha
