#pragma once
// A clock that moves only when told (gVisor's faketime, docs/style.md §3): advance(d) fires every
// deadline that falls due, in deadline order (ties in the order they were scheduled), each with
// now() set to its own deadline, so code under test sees exactly the times it asked for.
// Callbacks may schedule and cancel; a deadline already in the past fires on the next advance.
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <utility>

#include "common/clock.h"

namespace ha::test {

class ManualClock final : public TimeSource {
 public:
  using Callback = std::function<void()>;
  using TimerId = uint64_t;

  // Not the epoch: a zero time point would hide "unset means zero" bugs.
  static constexpr TimePoint kStart = TimePoint{} + std::chrono::hours(1);

  explicit ManualClock(TimePoint start = kStart) : now_(start) {}

  TimePoint now() const override { return now_; }

  TimerId schedule(TimePoint at, Callback callback) {
    const TimerId id = next_++;
    timers_.emplace(Key{at, id}, std::move(callback));
    index_.emplace(id, at);
    return id;
  }
  TimerId scheduleAfter(Duration after, Callback callback) {
    return schedule(now_ + after, std::move(callback));
  }
  // False when the timer already fired or was cancelled.
  bool cancel(TimerId id) {
    auto it = index_.find(id);
    if (it == index_.end()) return false;
    timers_.erase(Key{it->second, id});
    index_.erase(it);
    return true;
  }

  void advance(Duration d) { advanceTo(now_ + d); }
  void advanceTo(TimePoint target) {
    if (target < now_) std::abort();  // time never runs backwards
    while (!timers_.empty() && timers_.begin()->first.first <= target) {
      auto node = timers_.extract(timers_.begin());
      index_.erase(node.key().second);
      if (node.key().first > now_) now_ = node.key().first;
      node.mapped()();
    }
    now_ = target;
  }

  size_t pending() const { return timers_.size(); }
  std::optional<TimePoint> nextDeadline() const {
    if (timers_.empty()) return std::nullopt;
    return timers_.begin()->first.first;
  }

 private:
  using Key = std::pair<TimePoint, TimerId>;
  std::map<Key, Callback> timers_;
  std::map<TimerId, TimePoint> index_;
  TimePoint now_;
  TimerId next_ = 1;
};

}  // namespace ha::test
