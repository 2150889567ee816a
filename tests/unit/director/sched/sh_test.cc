#include <gtest/gtest.h>

#include "director/sched/scheduler.h"
#include "tests/unit/director/sched/sched_test_util.h"

namespace ha::director {
namespace {

using testing::countSlots;
using testing::letters;
using testing::makeReals;

SlotTable buildSh(const std::vector<uint32_t>& weights) {
  return findScheduler("sh")->build(makeReals(weights), SchedulerParams{});
}

// sh always has IP_VS_SH_TAB_SIZE = 256 buckets, picked by flow hash.
TEST(SourceHashing, Has256Buckets) {
  SlotTable table = buildSh({1, 1, 1});
  EXPECT_EQ(table.pick, SlotPick::kFlowHash);
  ASSERT_EQ(table.slots.size(), 256u);
  EXPECT_EQ(letters(table).substr(0, 7), "abcabca");
  EXPECT_EQ(countSlots(table), (std::map<uint32_t, size_t>{{0, 86}, {1, 85}, {2, 85}}));
}

// ip_vs_sh_reassign(): each real takes `weight` consecutive buckets, wrapping until 256 are filled.
TEST(SourceHashing, WeightedRealsTakeConsecutiveBuckets) {
  SlotTable t31 = buildSh({3, 1});
  EXPECT_EQ(letters(t31).substr(0, 8), "aaabaaab");
  EXPECT_EQ(countSlots(t31), (std::map<uint32_t, size_t>{{0, 192}, {1, 64}}));

  SlotTable t23 = buildSh({2, 3});
  EXPECT_EQ(letters(t23).substr(0, 10), "aabbbaabbb");
  // 51 full cycles of 5 and one more "a": 103 and 153.
  EXPECT_EQ(countSlots(t23), (std::map<uint32_t, size_t>{{0, 103}, {1, 153}}));

  SlotTable t53 = buildSh({5, 3});  // 256 = 32 x 8 buckets: exact
  EXPECT_EQ(countSlots(t53), (std::map<uint32_t, size_t>{{0, 160}, {1, 96}}));
}

// Our deviation from IPVS: weights are reduced by their gcd and fitted into 256, so {100,100}
// splits evenly (IPVS: 156:100) and {300,1} still gives the light real a bucket (IPVS: none).
TEST(SourceHashing, LargeWeightsStayProportional) {
  EXPECT_EQ(countSlots(buildSh({100, 100})), (std::map<uint32_t, size_t>{{0, 128}, {1, 128}}));
  EXPECT_EQ(countSlots(buildSh({300, 1})), (std::map<uint32_t, size_t>{{0, 255}, {1, 1}}));
}

// The same reals give the same table every time.
TEST(SourceHashing, Deterministic) {
  EXPECT_EQ(buildSh({4, 1, 7}).slots, buildSh({4, 1, 7}).slots);
}

// With more reals than buckets, the first 256 get one bucket each, as in IPVS.
TEST(SourceHashing, MoreRealsThanBuckets) {
  SlotTable table = buildSh(std::vector<uint32_t>(300, 1));
  ASSERT_EQ(table.slots.size(), 256u);
  for (uint32_t i = 0; i < 256; ++i) EXPECT_EQ(table.slots[i], i);
}

}  // namespace
}  // namespace ha::director
