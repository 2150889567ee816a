#include <gtest/gtest.h>

#include "director/sched/scheduler.h"
#include "tests/unit/director/sched/sched_test_util.h"

namespace ha::director {
namespace {

using testing::makeReals;

// rr gives one slot per real, in the order the reals were given, ignoring weights.
TEST(RoundRobin, OneSlotPerRealInGivenOrder) {
  SlotTable table = findScheduler("rr")->build(makeReals({1, 5, 2, 9}), SchedulerParams{});
  EXPECT_EQ(table.pick, SlotPick::kRotation);
  EXPECT_EQ(table.slots, (std::vector<uint32_t>{0, 1, 2, 3}));
}

// A weight-0 real, were one passed in, never gets a slot (IPVS rr skips weight 0 too).
TEST(RoundRobin, SkipsZeroWeight) {
  SlotTable table = findScheduler("rr")->build(makeReals({1, 0, 1}), SchedulerParams{});
  EXPECT_EQ(table.slots, (std::vector<uint32_t>{0, 2}));
}

}  // namespace
}  // namespace ha::director
