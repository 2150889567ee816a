// AsioTimers keeps Timer's promise the Router relies on: a cancelled or re-armed call never runs,
// even when its deadline had passed and Asio had already queued the handler. Deadlines lie in the
// past, so io_context::run() returns at once: no waiting on the wall clock.
#include "vrrp/asio_timers.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <string>

namespace ha::vrrp {
namespace {

class VrrpAsioTimers : public ::testing::Test {
 protected:
  void run() {
    io.restart();
    io.run();
  }
  boost::asio::io_context io;
  AsioTimers timers{io};
  std::string fired;
};

// A due timer fires once, on run().
TEST_F(VrrpAsioTimers, DueTimerFiresOnce) {
  auto t = timers.timer();
  t->arm(timers.now() - std::chrono::seconds(1), [this] { fired += "a"; });
  EXPECT_EQ(fired, "");
  run();
  run();
  EXPECT_EQ(fired, "a");
}

// Two due timers are queued by the same scan of Asio's timer queue; whichever runs first cancels
// the other, whose handler is already queued: it must not run (steady_timer::cancel cannot
// recall it, the generation check does).
TEST_F(VrrpAsioTimers, CancelAfterTheHandlerWasQueued) {
  auto a = timers.timer();
  auto b = timers.timer();
  const TimePoint past = timers.now() - std::chrono::seconds(1);
  a->arm(past, [&] {
    fired += "a";
    b->cancel();
  });
  b->arm(past, [&] {
    fired += "b";
    a->cancel();
  });
  run();
  EXPECT_EQ(fired.size(), 1u) << fired;
}

// Re-armed: only the new call runs; destroyed: none.
TEST_F(VrrpAsioTimers, RearmReplacesAndDestructionCancels) {
  auto t = timers.timer();
  const TimePoint past = timers.now() - std::chrono::seconds(1);
  t->arm(past, [this] { fired += "a"; });
  t->arm(past, [this] { fired += "b"; });
  run();
  EXPECT_EQ(fired, "b");
  t->arm(past, [this] { fired += "c"; });
  t.reset();
  run();
  EXPECT_EQ(fired, "b");
}

}  // namespace
}  // namespace ha::vrrp
