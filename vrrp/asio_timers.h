#pragma once
// vrrp::Timers on Asio steady timers of one io_context (the VRRP thread's). A steady_timer's
// cancel() cannot recall a handler already queued to run; each arm() gets a generation number and
// a handler of an older generation (or of a destroyed timer) does nothing, which gives Timer's
// promise that a cancelled call never runs.
#include <boost/asio/io_context.hpp>

#include "vrrp/timers.h"

namespace ha::vrrp {

class AsioTimers final : public Timers {
 public:
  explicit AsioTimers(boost::asio::io_context& io) : io_(io) {}
  TimePoint now() const override { return Clock::now(); }
  std::chrono::system_clock::time_point wallNow() const override {
    return std::chrono::system_clock::now();
  }
  std::unique_ptr<Timer> timer() override;

 private:
  boost::asio::io_context& io_;
};

}  // namespace ha::vrrp
