#pragma once
// vrrp::Timers on a ManualClock: a real vrrp::Router's timers fire when the test advances the
// clock, each at exactly its deadline, in deadline order (ties in the order they were armed).
// Wall time is a fixed epoch plus the manual clock's progress, so it moves only with advance().
#include <memory>

#include "tests/fakes/manual_clock.h"
#include "vrrp/timers.h"

namespace ha::test {

class ManualVrrpTimers final : public vrrp::Timers {
 public:
  explicit ManualVrrpTimers(ManualClock& clock) : clock_(clock) {}
  TimePoint now() const override { return clock_.now(); }
  std::chrono::system_clock::time_point wallNow() const override;
  std::unique_ptr<vrrp::Timer> timer() override;

 private:
  ManualClock& clock_;
};

}  // namespace ha::test
