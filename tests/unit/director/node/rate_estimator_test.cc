// ipvsadm --rate: IPVS's estimator (ip_vs_est.c): 2 s samples, each moving the estimate 1/4 of
// the way to the sample's per-second increase.
#include "director/node/rate_estimator.h"

#include <gtest/gtest.h>

namespace ha::director {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TrafficCounters at(uint64_t s) {
  // A steady 100 conn/s, 1000 pkt/s in, 500 out, 1 MB/s in, 2 MB/s out.
  return TrafficCounters{100 * s, 1000 * s, 500 * s, 1000000 * s, 2000000 * s};
}

TEST(RateEstimate, FirstSampleIsOnlyTheStartingPoint) {
  RateEstimate e;
  e.sample(at(10), TimePoint{} + seconds(10));
  EXPECT_EQ(e.rates().connsPerSecond, 0.0);
  EXPECT_EQ(e.rates().inBytesPerSecond, 0.0);
}

// Each sample closes a quarter of the gap: 1/4, 7/16, 37/64 ... of the steady rate.
TEST(RateEstimate, ApproachesASteadyRateByAQuarterPerSample) {
  RateEstimate e;
  const TimePoint t0{};
  e.sample(at(0), t0);
  e.sample(at(2), t0 + seconds(2));
  EXPECT_DOUBLE_EQ(e.rates().connsPerSecond, 25.0);
  EXPECT_DOUBLE_EQ(e.rates().outBytesPerSecond, 500000.0);
  e.sample(at(4), t0 + seconds(4));
  EXPECT_DOUBLE_EQ(e.rates().connsPerSecond, 43.75);
  for (uint64_t s = 6; s <= 80; s += 2) e.sample(at(s), t0 + seconds(s));
  EXPECT_NEAR(e.rates().inPacketsPerSecond, 1000.0, 0.1);
  EXPECT_NEAR(e.rates().outPacketsPerSecond, 500.0, 0.1);
  EXPECT_NEAR(e.rates().inBytesPerSecond, 1e6, 100);
}

// A late timer (3 s instead of 2) does not inflate the rate: the interval is measured.
TEST(RateEstimate, UsesTheMeasuredInterval) {
  RateEstimate e;
  const TimePoint t0{};
  e.sample(at(0), t0);
  e.sample(at(3), t0 + milliseconds(3000));
  EXPECT_DOUBLE_EQ(e.rates().connsPerSecond, 25.0);
}

// When traffic stops the estimate decays by 3/4 per sample; a counter that went down (flows
// whose end was lost) is no increase, never a huge wrapped one.
TEST(RateEstimate, DecaysWhenIdleAndIgnoresDecreases) {
  RateEstimate e;
  const TimePoint t0{};
  e.sample(at(0), t0);
  e.sample(at(2), t0 + seconds(2));
  e.sample(at(2), t0 + seconds(4));
  EXPECT_DOUBLE_EQ(e.rates().connsPerSecond, 25.0 * 0.75);
  e.sample(at(1), t0 + seconds(6));
  EXPECT_DOUBLE_EQ(e.rates().connsPerSecond, 25.0 * 0.75 * 0.75);
}

// ipvsadm -Z restarts the estimator as IPVS's ip_vs_zero_estimator() does: rates 0, the totals
// at the zero are the new starting point.
TEST(RateEstimate, RestartZeroesRatesAndRebases) {
  RateEstimate e;
  const TimePoint t0{};
  e.sample(at(0), t0);
  e.sample(at(2), t0 + seconds(2));
  e.restart(at(3), t0 + seconds(3));
  EXPECT_EQ(e.rates().connsPerSecond, 0.0);
  e.sample(at(5), t0 + seconds(5));
  EXPECT_DOUBLE_EQ(e.rates().connsPerSecond, 25.0);
}

}  // namespace
}  // namespace ha::director
