#pragma once
// Time as the Router sees it: the clock and one-shot timers, as a port, so that
// tests drive a real Router with a ManualClock (tests/fakes/manual_vrrp_timers.h) while
// production runs Asio steady timers on the VRRP io_context thread (asio_timers.h).
#include <chrono>
#include <functional>
#include <memory>

#include "common/clock.h"

namespace ha::vrrp {

class Timer {
 public:
  // Destruction cancels.
  virtual ~Timer() = default;
  // Runs `fire` once at `at`, on the router's thread. Arming again replaces the pending call; a
  // cancelled or replaced call never runs, even when it was already due (the Router relies on
  // this instead of checking for stale handlers).
  virtual void arm(TimePoint at, std::function<void()> fire) = 0;
  virtual void cancel() = 0;
};

class Timers {
 public:
  virtual ~Timers() = default;
  virtual TimePoint now() const = 0;
  // Wall time, only to stamp what operators read (the last transition in `directorctl vrrp`).
  virtual std::chrono::system_clock::time_point wallNow() const = 0;
  virtual std::unique_ptr<Timer> timer() = 0;
};

}  // namespace ha::vrrp
