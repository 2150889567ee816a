#include "director/sched/weights.h"

#include <gtest/gtest.h>

#include <numeric>

namespace ha::director {
namespace {

using W = std::vector<uint32_t>;

// gcd ignores zero weights and is 0 when there is nothing to divide.
TEST(Weights, Gcd) {
  EXPECT_EQ(weightGcd(W{100, 50, 0}), 50u);
  EXPECT_EQ(weightGcd(W{4, 3, 2}), 1u);
  EXPECT_EQ(weightGcd(W{}), 0u);
  EXPECT_EQ(weightGcd(W{0, 0}), 0u);
}

// Weights that fit are only divided by their gcd; zeros stay zero.
TEST(Weights, FitDividesByGcd) {
  EXPECT_EQ(fitWeights(W{100, 50, 0}, 4096), (W{2, 1, 0}));
  EXPECT_EQ(fitWeights(W{4, 3, 2}, 9), (W{4, 3, 2}));
}

// Weights past the budget are apportioned by largest remainder, each kept >= 1, summing <= budget.
TEST(Weights, FitScalesDownByLargestRemainder) {
  EXPECT_EQ(fitWeights(W{6, 3, 1}, 5), (W{3, 1, 1}));  // quotas 3, 1.5, .5; lifting c costs b
  W scaled = fitWeights(W{1000000, 1, 1, 999999}, 256);
  EXPECT_LE(std::accumulate(scaled.begin(), scaled.end(), 0u), 256u);
  EXPECT_EQ(scaled[1], 1u);
  EXPECT_EQ(scaled[2], 1u);
  EXPECT_EQ(fitWeights(W{5, 5, 5}, 2), (W{1, 1, 1}));  // more reals than budget
}

}  // namespace
}  // namespace ha::director
