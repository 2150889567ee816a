#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "director/sched/scheduler.h"
#include "tests/unit/director/sched/sched_test_util.h"

namespace ha::director {
namespace {

using testing::countSlots;
using testing::letters;
using testing::makeReals;

SlotTable buildWrr(const std::vector<uint32_t>& weights) {
  return findScheduler("wrr")->build(makeReals(weights), SchedulerParams{});
}

// A call-by-call model of ip_vs_wrr_schedule() on a fresh service (ip_vs_wrr_init_svc: cl = list
// head, di = gcd, mw = max - (di - 1), cw = mw): scan on from the last chosen dest for
// weight >= cw; at the end of the list cw -= di, back to mw when <= 0, and restart at the head.
std::vector<uint32_t> kernelWrrSequence(const std::vector<uint32_t>& w, size_t calls) {
  uint32_t gcd = 0;
  for (uint32_t x : w) gcd = std::gcd(gcd, x);
  int di = static_cast<int>(gcd);
  int mw = static_cast<int>(*std::max_element(w.begin(), w.end())) - (di - 1);
  int cw = mw;
  int n = static_cast<int>(w.size());
  int cl = -1;  // the list head
  std::vector<uint32_t> out;
  while (out.size() < calls) {
    int dest = cl + 1;
    for (;; dest = 0) {
      while (dest < n && static_cast<int>(w[static_cast<size_t>(dest)]) < cw) ++dest;
      if (dest < n) break;
      cw -= di;
      if (cw <= 0) cw = mw;
    }
    cl = dest;
    out.push_back(static_cast<uint32_t>(dest));
  }
  return out;
}

// Weights a=4, b=3, c=2 give IPVS's sequence by hand: cw=4: a; cw=3: a b; cw=2: a b c; cw=1: a b c.
TEST(WeightedRoundRobin, ReproducesIpvsInterleaving) {
  SlotTable table = buildWrr({4, 3, 2});
  EXPECT_EQ(table.pick, SlotPick::kRotation);
  EXPECT_EQ(letters(table), "aababcabc");
  // And by hand for {5,3,1}: cw=5: a; 4: a; 3: a b; 2: a b; 1: a b c.
  EXPECT_EQ(letters(buildWrr({5, 3, 1})), "aaabababc");
}

// Two full cycles of the table replay exactly what the kernel's wrr would pick, call by call.
TEST(WeightedRoundRobin, MatchesKernelModelOverTwoCycles) {
  for (const std::vector<uint32_t>& w : std::vector<std::vector<uint32_t>>{
           {4, 3, 2}, {5, 3, 1}, {100, 50}, {1, 1, 1}, {2, 7, 7, 3}, {6, 4, 2}, {1, 9}}) {
    SlotTable table = buildWrr(w);
    std::vector<uint32_t> twice = table.slots;
    twice.insert(twice.end(), table.slots.begin(), table.slots.end());
    EXPECT_EQ(twice, kernelWrrSequence(w, twice.size())) << letters(table);
  }
}

// One cycle is sum(weights)/gcd slots and each real appears exactly weight/gcd times.
TEST(WeightedRoundRobin, ExactProportionsOverOneCycle) {
  SlotTable t531 = buildWrr({5, 3, 1});
  EXPECT_EQ(t531.slots.size(), 9u);
  EXPECT_EQ(countSlots(t531), (std::map<uint32_t, size_t>{{0, 5}, {1, 3}, {2, 1}}));

  SlotTable t100 = buildWrr({100, 50});
  EXPECT_EQ(letters(t100), "aab");  // gcd 50

  SlotTable equal = buildWrr({1, 1, 1});
  EXPECT_EQ(letters(equal), "abc");
  EXPECT_EQ(letters(buildWrr({7, 7, 7, 7})), "abcd");  // equal weights: N slots, like rr
}

// A cycle longer than 4096 is scaled down to fit, every real keeps a slot, and shares stay within
// the documented bound. {5000, 3000, 1} (sum 8001) works out by hand to 2559 + 1535 + 1 = 4095.
TEST(WeightedRoundRobin, CapsCycleAt4096) {
  SlotTable table = buildWrr({5000, 3000, 1});
  EXPECT_EQ(countSlots(table), (std::map<uint32_t, size_t>{{0, 2559}, {1, 1535}, {2, 1}}));
  EXPECT_LE(table.slots.size(), 4096u);
  double t = static_cast<double>(table.slots.size());
  // (1 + lifted) / (4096 - lifted) with one lifted weight.
  double bound = 2.0 / 4095.0;
  EXPECT_NEAR(2559 / t, 5000.0 / 8001.0, bound);
  EXPECT_NEAR(1535 / t, 3000.0 / 8001.0, bound);

  SlotTable big = buildWrr({4096, 1});  // sum 4097: just over
  EXPECT_LE(big.slots.size(), 4096u);
  EXPECT_EQ(countSlots(big).at(1), 1u);

  SlotTable fits = buildWrr({4095, 1});  // sum 4096: untouched
  EXPECT_EQ(countSlots(fits), (std::map<uint32_t, size_t>{{0, 4095}, {1, 1}}));
}

// With more reals than the cap, no real is dropped: each gets one slot.
TEST(WeightedRoundRobin, MoreRealsThanCapEachGetOneSlot) {
  std::vector<uint32_t> weights(5000, 1);
  weights[0] = 3;
  SlotTable table = buildWrr(weights);
  EXPECT_EQ(table.slots.size(), 5000u);
  EXPECT_EQ(countSlots(table).size(), 5000u);
}

}  // namespace
}  // namespace ha::director
