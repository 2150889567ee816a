// LatencyHistogram: each observation lands in the first bucket whose bound it does not exceed.
#include "common/latency_histogram.h"

#include <gtest/gtest.h>

namespace ha {
namespace {

using namespace std::chrono_literals;

// A bound is inclusive (Prometheus' `le`); past the last bound counts as +Inf; sum and count add
// up.
TEST(LatencyHistogram, BucketsAreInclusiveUpperBounds) {
  LatencyHistogram h;
  h.observe(100us);  // exactly the first bound
  h.observe(101us);  // just past it
  h.observe(700us);  // (0.5 ms, 1 ms]
  h.observe(20s);    // past 10 s
  h.observe(0ns);
  EXPECT_EQ(h.count, 5u);
  EXPECT_EQ(h.counts[0], 2u);
  EXPECT_EQ(h.counts[1], 1u);
  EXPECT_EQ(h.counts[3], 1u);
  EXPECT_EQ(h.counts.back(), 1u);
  EXPECT_NEAR(h.sumSeconds, 0.0001 + 0.000101 + 0.0007 + 20.0, 1e-9);
}

}  // namespace
}  // namespace ha
