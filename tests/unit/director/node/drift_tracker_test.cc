#include "director/node/drift_tracker.h"

#include <gtest/gtest.h>

namespace ha::director {
namespace {

using std::chrono::milliseconds;

const TimePoint kT0 = TimePoint{} + std::chrono::hours(1);

// A drift is repaired after a short settle; more drifts meanwhile join that repair instead of
// postponing it, and the repair time is counted from the first one.
TEST(DriftTracker, ABurstCostsOneRepairAtAFixedTime) {
  DriftTracker t;
  TimePoint due = t.onDrift("delete table inet directord by nft[1]", kT0);
  EXPECT_EQ(due, kT0 + DriftTracker::kSettle);
  EXPECT_EQ(t.onDrift("add table inet directord by nft[1]", kT0 + milliseconds(5)), due);
  EXPECT_TRUE(t.counters().repairPending);
  EXPECT_FALSE(t.onRepair(okStatus(), kT0 + milliseconds(13)).has_value());
  const auto& c = t.counters();
  EXPECT_EQ(c.drifts, 2u);
  EXPECT_EQ(c.repairs, 1u);
  EXPECT_FALSE(c.repairPending);
  EXPECT_DOUBLE_EQ(*c.lastRepairMs, 13.0);
  EXPECT_EQ(c.lastDrift, "add table inet directord by nft[1]");
  // The next drift is a new burst.
  EXPECT_EQ(t.onDrift("x", kT0 + milliseconds(100)), kT0 + milliseconds(100) + DriftTracker::kSettle);
}

// A repair the kernel refuses is retried with a doubling backoff up to a ceiling, never given up;
// the error stays visible until a repair succeeds.
TEST(DriftTracker, FailedRepairsRetryWithBackoff) {
  DriftTracker t;
  (void)t.onDrift("flush", kT0);
  TimePoint now = kT0 + DriftTracker::kSettle;
  std::vector<milliseconds> waits;
  for (int i = 0; i < 7; ++i) {
    auto retry = t.onRepair(Error{"nf_tables: Operation not permitted"}, now);
    ASSERT_TRUE(retry.has_value());
    waits.push_back(std::chrono::duration_cast<milliseconds>(*retry - now));
    now = *retry;
  }
  EXPECT_EQ(waits, (std::vector<milliseconds>{milliseconds(100), milliseconds(200), milliseconds(400),
                                              milliseconds(800), milliseconds(1600), milliseconds(2000),
                                              milliseconds(2000)}));
  EXPECT_EQ(t.counters().repairFailures, 7u);
  EXPECT_EQ(t.counters().lastRepairError, "nf_tables: Operation not permitted");
  EXPECT_TRUE(t.counters().repairPending);
  EXPECT_FALSE(t.onRepair(okStatus(), now).has_value());
  EXPECT_TRUE(t.counters().lastRepairError.empty());
  EXPECT_FALSE(t.counters().repairPending);
  // Success resets the backoff.
  (void)t.onDrift("again", now);
  auto retry = t.onRepair(Error{"e"}, now + milliseconds(10));
  EXPECT_EQ(*retry - (now + milliseconds(10)), milliseconds(100));
}

}  // namespace
}  // namespace ha::director
