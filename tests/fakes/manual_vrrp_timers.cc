#include "tests/fakes/manual_vrrp_timers.h"

#include <optional>
#include <utility>

namespace ha::test {
namespace {

class ManualTimer final : public vrrp::Timer {
 public:
  explicit ManualTimer(ManualClock& clock) : clock_(clock) {}
  ~ManualTimer() override { cancel(); }
  ManualTimer(const ManualTimer&) = delete;
  ManualTimer& operator=(const ManualTimer&) = delete;

  void arm(TimePoint at, std::function<void()> fire) override {
    cancel();
    id_ = clock_.schedule(at, [this, fire = std::move(fire)] {
      id_.reset();
      fire();  // may re-arm or destroy this timer: nothing of `this` is touched after it
    });
  }

  void cancel() override {
    if (id_) clock_.cancel(*id_);
    id_.reset();
  }

 private:
  ManualClock& clock_;
  std::optional<ManualClock::TimerId> id_;
};

}  // namespace

std::chrono::system_clock::time_point ManualVrrpTimers::wallNow() const {
  // 2026-01-01T00:00:00Z, then as far as the manual clock has moved.
  constexpr std::chrono::system_clock::time_point kWallStart{std::chrono::seconds(1767225600)};
  return kWallStart + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                          clock_.now() - ManualClock::kStart);
}

std::unique_ptr<vrrp::Timer> ManualVrrpTimers::timer() {
  return std::make_unique<ManualTimer>(clock_);
}

}  // namespace ha::test
