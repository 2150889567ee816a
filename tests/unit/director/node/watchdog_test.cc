// The watchdog feeder on real io_context threads: it feeds while every loop turns, stops while
// one is stuck in a handler, and feeds again once it turns; the hang drill parses strictly.
#include "director/node/watchdog.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <thread>

namespace ha::director {
namespace {

using namespace std::chrono_literals;

struct Loop {
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{io.get_executor()};
  std::thread thread{[this] { io.run(); }};
  ~Loop() {
    work.reset();
    io.stop();
    thread.join();
  }
  WatchedLoop watched(std::string name) {
    return {std::move(name),
            [this](std::function<void()> f) { boost::asio::post(io, std::move(f)); }};
  }
};

// Waits (bounded) until `feeds` grows past `from`; false if it never does.
bool fedAfter(const std::atomic<int>& feeds, int from, std::chrono::milliseconds within) {
  const auto until = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < until) {
    if (feeds.load() > from) return true;
    std::this_thread::sleep_for(5ms);
  }
  return false;
}

// Two turning loops: fed. One blocked in a handler: the feeding stops within the period (no feed
// over a whole period while it hangs). Released: fed again.
TEST(Watchdog, FeedsOnlyWhileEveryLoopTurns) {
  Loop director, health;
  std::atomic<int> feeds{0};
  Watchdog dog({director.watched("director"), health.watched("health")}, 400ms, [&] { ++feeds; });
  ASSERT_TRUE(fedAfter(feeds, 0, 5s));

  std::promise<void> release;
  boost::asio::post(health.io, [f = release.get_future().share()] { f.wait(); });
  std::this_thread::sleep_for(400ms);  // past maxAge (200 ms): stale by now
  const int stuckAt = feeds.load();
  std::this_thread::sleep_for(400ms);
  EXPECT_EQ(feeds.load(), stuckAt) << "fed while the health loop was stuck";

  release.set_value();
  EXPECT_TRUE(fedAfter(feeds, stuckAt, 5s));
}

// LOOP:AFTER:FOR, whole seconds, one of the four loops; anything else refused with the reason.
TEST(Watchdog, HangDrillParses) {
  std::string why;
  auto drill = parseHangDrill("health:3:4", why);
  ASSERT_TRUE(drill.has_value()) << why;
  EXPECT_EQ(drill->loop, "health");
  EXPECT_EQ(drill->after, std::chrono::seconds(3));
  EXPECT_EQ(drill->hangFor, std::chrono::seconds(4));
  EXPECT_FALSE(parseHangDrill("health:3", why).has_value());
  EXPECT_NE(why.find("LOOP:AFTER_SECONDS:FOR_SECONDS"), std::string::npos);
  EXPECT_FALSE(parseHangDrill("disk:1:1", why).has_value());
  EXPECT_NE(why.find("unknown loop 'disk'"), std::string::npos);
  EXPECT_FALSE(parseHangDrill("vrrp:1:x", why).has_value());
  EXPECT_FALSE(parseHangDrill("vrrp:-1:2", why).has_value());
}

}  // namespace
}  // namespace ha::director
