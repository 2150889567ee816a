#include "healthcheck/tracker.h"

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>
#include <string_view>

#include "tests/fakes/manual_clock.h"

namespace ha::healthcheck {
namespace {

using namespace std::chrono_literals;
using test::ManualClock;

CheckTiming timing(Millis delayLoop, Millis delayBeforeRetry, uint32_t retry, uint32_t rise = 1) {
  CheckTiming t;
  t.delayLoop = delayLoop;
  t.delayBeforeRetry = delayBeforeRetry;
  t.retry = retry;
  t.rise = rise;
  return t;
}

// Runs a tracker as the engine does, on a manual clock: each probe happens exactly when the
// previous outcome asked, with results from `results` ('+' pass, '-' fail). Returns one word per
// probe, "<ms since start><result><U|D>", with '*' where the state flipped.
std::string drive(ProbeTracker tracker, std::string_view results) {
  ManualClock clock;
  std::string trace;
  size_t next = 0;
  std::function<void()> probe = [&] {
    const char result = results[next++];
    const TrackerOutcome outcome = tracker.record(result == '+', clock.now());
    if (!trace.empty()) trace += ' ';
    trace += std::to_string((clock.now() - ManualClock::kStart) / 1ms) + result +
             (tracker.up() ? 'U' : 'D') + (outcome.changed ? "*" : "");
    if (next < results.size()) clock.schedule(outcome.due, probe);
  };
  clock.schedule(clock.now(), probe);
  clock.advance(24h);
  return trace;
}

// An up probe is retried every delay_before_retry and goes down at the (retry+1)-th failure in
// a row; a down probe waits delay_loop, and one pass (rise 1, keepalived) brings it back.
TEST(ProbeTracker, RetriesThenFallsAfterRetryPlusOneFailures) {
  EXPECT_EQ(drive(ProbeTracker(timing(10s, 2s, 2), true), "+---+"),
            "0+U 10000-U 12000-U 14000-D* 24000+U*");
}

// retry 0: the first failure takes it down (fall = 1).
TEST(ProbeTracker, RetryZeroFallsOnFirstFailure) {
  EXPECT_EQ(drive(ProbeTracker(timing(10s, 2s, 0), true), "-+"), "0-D* 10000+U*");
}

// A pass between failures forgets them: failures must be consecutive to take a probe down.
TEST(ProbeTracker, PassDuringRetryForgetsFailures) {
  EXPECT_EQ(drive(ProbeTracker(timing(10s, 2s, 1), true), "-+-+-"),
            "0-U 2000+U 12000-U 14000+U 24000-U");
}

// keepalived does not retry a dead real: failures while down are spaced by delay_loop.
TEST(ProbeTracker, DownProbeIsNotRetried) {
  EXPECT_EQ(drive(ProbeTracker(timing(10s, 2s, 0), true), "---"), "0-D* 10000-D 20000-D");
}

// With rise 3 a down probe needs three passes in a row, confirmed delay_before_retry apart; a
// failure in between restarts the count and waits delay_loop.
TEST(ProbeTracker, RiseNeedsConsecutivePassesSpacedByDelayBeforeRetry) {
  EXPECT_EQ(drive(ProbeTracker(timing(10s, 2s, 0, 3), false), "++-+++"),
            "0+D 2000+D 4000-D 14000+D 16000+D 18000+U*");
}

// alpha: a probe that starts down comes up on its first pass when rise is 1, and stays down
// (no retry) on failures.
TEST(ProbeTracker, AlphaStartsDownUntilProvenUp) {
  ProbeTracker tracker(timing(10s, 2s, 1), false);
  EXPECT_FALSE(tracker.up());
  EXPECT_EQ(drive(tracker, "-+"), "0-D 10000+U*");
}

// A flapping server that alternates answers never changes a settled state: up stays up (each
// failure is forgiven by the next pass), down stays down with rise 2 (each pass is undone).
TEST(ProbeTracker, FlappingProbeKeepsItsState) {
  EXPECT_EQ(drive(ProbeTracker(timing(10s, 2s, 1, 2), true), "-+-+-+"),
            "0-U 2000+U 12000-U 14000+U 24000-U 26000+U");
  EXPECT_EQ(drive(ProbeTracker(timing(10s, 2s, 1, 2), true), "--+-+-+"),
            "0-U 2000-D* 12000+D 14000-D 24000+D 26000-D 36000+D");
}

// Counters report progress towards a flip and reset on it.
TEST(ProbeTracker, CountersTrackProgress) {
  ProbeTracker tracker(timing(10s, 2s, 2, 2), true);
  const TimePoint t = ManualClock::kStart;
  tracker.record(false, t);
  tracker.record(false, t);
  EXPECT_EQ(tracker.failuresInARow(), 2U);
  EXPECT_TRUE(tracker.record(false, t).changed);
  EXPECT_EQ(tracker.failuresInARow(), 0U);
  tracker.record(true, t);
  EXPECT_EQ(tracker.passesInARow(), 1U);
  EXPECT_EQ(tracker.fall(), 3U);
  EXPECT_EQ(tracker.rise(), 2U);
}

// Absurd thresholds saturate instead of wrapping: retry UINT32_MAX never gives fall 0, rise 0
// is rise 1.
TEST(ProbeTracker, ThresholdsSaturate) {
  EXPECT_EQ(ProbeTracker(timing(1s, 1s, UINT32_MAX), true).fall(), UINT32_MAX);
  EXPECT_EQ(ProbeTracker(timing(1s, 1s, 0, 0), false).rise(), 1U);
}

// The first probe lands in [0, delay_loop) without warmup and in [0, warmup] with it, at
// nanosecond resolution so many probes do not share an instant.
TEST(Schedule, FirstProbeDelayStaysInItsWindow) {
  CheckTiming t = timing(1s, 1s, 1);
  EXPECT_EQ(firstProbeDelay(t, 0), 0ns);
  EXPECT_EQ(firstProbeDelay(t, 999'999'999), 999'999'999ns);
  EXPECT_EQ(firstProbeDelay(t, 1'000'000'000), 0ns);
  t.warmup = Millis(5000);
  EXPECT_EQ(firstProbeDelay(t, 5'000'000'000), 5s);
  EXPECT_EQ(firstProbeDelay(t, 5'000'000'001), 0ns);
  JitterSource random(7);
  std::set<Duration> seen;
  for (int i = 0; i < 1000; ++i) {
    const Duration d = firstProbeDelay(t, random.next());
    EXPECT_GE(d, 0ns);
    EXPECT_LE(d, 5s);
    seen.insert(d);
  }
  EXPECT_EQ(seen.size(), 1000U);
}

// Jitter moves a delay_loop wait by at most permille/1000 either way and covers both ends.
TEST(Schedule, JitterIsBoundedAndSymmetric) {
  const Duration loop = 1s;
  const uint64_t spread = 50'000'000;  // 5% of 1 s in ns
  EXPECT_EQ(withJitter(loop, 50, 0), 950ms);
  EXPECT_EQ(withJitter(loop, 50, spread), 1s);
  EXPECT_EQ(withJitter(loop, 50, 2 * spread), 1050ms);
  EXPECT_EQ(withJitter(loop, 0, 12345), 1s);
  EXPECT_EQ(withJitter(0ns, 50, 12345), 0ns);
}

// The generator is deterministic from its seed (schedules are reproducible) and seeds differ.
TEST(Schedule, JitterSourceIsDeterministic) {
  JitterSource a(42);
  JitterSource b(42);
  JitterSource c(43);
  for (int i = 0; i < 10; ++i) {
    const uint64_t x = a.next();
    EXPECT_EQ(x, b.next());
    EXPECT_NE(x, c.next());
  }
}

}  // namespace
}  // namespace ha::healthcheck
