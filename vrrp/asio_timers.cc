#include "vrrp/asio_timers.h"

#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <utility>

namespace ha::vrrp {
namespace {

class AsioTimer final : public Timer {
 public:
  explicit AsioTimer(boost::asio::io_context& io) : timer_(io) {}
  ~AsioTimer() override { cancel(); }
  AsioTimer(const AsioTimer&) = delete;
  AsioTimer& operator=(const AsioTimer&) = delete;

  void arm(TimePoint at, std::function<void()> fire) override {
    const uint64_t armed = ++*generation_;
    timer_.expires_at(at);  // cancels a pending wait
    timer_.async_wait([generation = std::weak_ptr<uint64_t>(generation_), armed,
                       fire = std::move(fire)](const boost::system::error_code& ec) {
      auto current = generation.lock();
      if (ec || !current || *current != armed) return;
      fire();
    });
  }

  void cancel() override {
    ++*generation_;
    timer_.cancel();
  }

 private:
  boost::asio::steady_timer timer_;
  std::shared_ptr<uint64_t> generation_ = std::make_shared<uint64_t>(0);
};

}  // namespace

std::unique_ptr<Timer> AsioTimers::timer() { return std::make_unique<AsioTimer>(io_); }

}  // namespace ha::vrrp
