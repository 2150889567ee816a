#include "common/post_and_wait.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

namespace ha {
namespace {

using namespace std::chrono_literals;

// A deadline already reached: the outcome does not depend on how long anything takes.
TimePoint past() { return Clock::now() - 1s; }

// A thread that runs the io_context answers, and a Result answer comes back as it is (not nested).
TEST(PostAndWait, ReturnsTheAnswer) {
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  std::thread loop([&] { io.run(); });
  Result<int> value = postAndWait(io, "test", Clock::now() + 60s, [] { return 42; });
  Status refused = postAndWait(io, "test", Clock::now() + 60s, []() -> Status { return Error{"no"}; });
  work.reset();
  loop.join();
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, 42);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error(), "no");
}

// Nobody runs the io_context: the caller gets an error naming the thread instead of hanging, the
// request is withdrawn (it never runs, even when the loop starts later), and it is counted.
TEST(PostAndWait, ThreadThatNeverRunsTimesOutAndWithdrawsTheRequest) {
  boost::asio::io_context io;
  auto ran = std::make_shared<std::atomic<bool>>(false);
  const uint64_t before = crossThreadTimeouts().load();
  Result<int> answer = postAndWait(io, "director", past(), [ran] {
    *ran = true;
    return 1;
  });
  ASSERT_FALSE(answer.ok());
  EXPECT_NE(answer.error().find("the director thread did not take the request within"), std::string::npos)
      << answer.error();
  EXPECT_NE(answer.error().find("withdrawn"), std::string::npos) << answer.error();
  EXPECT_EQ(crossThreadTimeouts().load(), before + 1);
  io.run();  // the loop wakes up late: the withdrawn request must not run
  EXPECT_FALSE(*ran);
}

// The request already runs when the deadline passes: the caller gets an error at once, the work
// finishes on its own thread afterwards and its result goes nowhere (shared state, no dangling
// reference to the caller's stack; ASan checks this). The idle loop picks the request up well
// within the second; the work then blocks until the caller has given up.
TEST(PostAndWait, RunningRequestIsLeftToFinish) {
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  std::thread loop([&] { io.run(); });
  std::promise<void> started;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  auto finished = std::make_shared<std::atomic<bool>>(false);
  std::thread caller([&] {
    Result<std::string> answer = postAndWait(io, "vrrp", Clock::now() + 1s,
                                             [&started, released, finished] {
                                               started.set_value();
                                               released.wait();
                                               *finished = true;
                                               return std::string(1000, 'x');
                                             });
    ASSERT_FALSE(answer.ok());
    EXPECT_NE(answer.error().find("the vrrp thread was still working on the request"), std::string::npos)
        << answer.error();
  });
  caller.join();  // returned although the work is still blocked
  started.get_future().wait();
  EXPECT_FALSE(*finished);
  release.set_value();
  work.reset();
  loop.join();
  EXPECT_TRUE(*finished);
}

// An exception thrown by the work reaches the caller, as from a direct call.
TEST(PostAndWait, ExceptionsReachTheCaller) {
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  std::thread loop([&] { io.run(); });
  EXPECT_THROW((void)postAndWait(io, "test", Clock::now() + 60s, []() -> int { throw std::runtime_error("boom"); }),
               std::runtime_error);
  work.reset();
  loop.join();
}

}  // namespace
}  // namespace ha
