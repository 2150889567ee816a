// The connection-count schedulers against an IPVS reference model: the kernel's scheduling loops
// (net/netfilter/ipvs/ip_vs_{lc,wlc,sed,nq,ovf,fo}.c) restated below as an oracle over plain
// arrays, in the kernel's own terms (dests in list order, activeconns, inactconns, weight).
#include "director/sched/least_connection.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "director/sched/scheduler.h"
#include "tests/unit/director/sched/sched_test_util.h"

namespace ha::director {
namespace {

using testing::countSlots;
using testing::makeReals;

struct Dest {
  int weight;
  int activeconns;
  int inactconns;
};

// ip_vs_dest_conn_overhead()
int connOverhead(const Dest& d) { return (d.activeconns << 8) + d.inactconns; }

// The oracles return the chosen index, or -1 (IPVS: "no destination available").
int ipvsLc(const std::vector<Dest>& dests) {
  int least = -1;
  int loh = 0;
  for (size_t i = 0; i < dests.size(); ++i) {
    if (dests[i].weight == 0) continue;
    int doh = connOverhead(dests[i]);
    if (least < 0 || doh < loh) {
      least = static_cast<int>(i);
      loh = doh;
    }
  }
  return least;
}

// wlc and sed share the loop; only the overhead differs. The first dest with weight > 0 seeds it,
// then "loh * w(dest) > doh * w(least)" replaces it.
template <typename Overhead>
int ipvsWeighted(const std::vector<Dest>& dests, Overhead overhead) {
  size_t i = 0;
  while (i < dests.size() && dests[i].weight <= 0) ++i;
  if (i == dests.size()) return -1;
  size_t least = i;
  int64_t loh = overhead(dests[least]);
  for (++i; i < dests.size(); ++i) {
    int64_t doh = overhead(dests[i]);
    if (loh * dests[i].weight > doh * dests[least].weight) {
      least = i;
      loh = doh;
    }
  }
  return static_cast<int>(least);
}

int ipvsWlc(const std::vector<Dest>& d) { return ipvsWeighted(d, connOverhead); }
int ipvsSed(const std::vector<Dest>& d) {
  return ipvsWeighted(d, [](const Dest& x) { return x.activeconns + 1; });
}

int ipvsNq(const std::vector<Dest>& dests) {
  std::optional<size_t> least;
  int64_t loh = 0;
  for (size_t i = 0; i < dests.size(); ++i) {
    if (dests[i].weight == 0) continue;
    int64_t doh = dests[i].activeconns + 1;
    if (dests[i].activeconns == 0) return static_cast<int>(i);
    if (!least || loh * dests[i].weight > doh * dests[*least].weight) {
      least = i;
      loh = doh;
    }
  }
  return least ? static_cast<int>(*least) : -1;
}

int ipvsOvf(const std::vector<Dest>& dests) {
  int h = -1;
  int hw = 0;
  for (size_t i = 0; i < dests.size(); ++i) {
    int w = dests[i].weight;
    if (dests[i].activeconns > w || w == 0) continue;
    if (h < 0 || w > hw) {
      h = static_cast<int>(i);
      hw = w;
    }
  }
  return h;
}

std::vector<SchedReal> realsOf(const std::vector<Dest>& dests) {
  std::vector<uint32_t> weights;
  weights.reserve(dests.size());
  for (const Dest& d : dests) weights.push_back(static_cast<uint32_t>(d.weight));
  auto reals = makeReals(weights);
  for (size_t i = 0; i < dests.size(); ++i) {
    reals[i].activeConns = static_cast<uint32_t>(dests[i].activeconns);
    reals[i].inactiveConns = static_cast<uint32_t>(dests[i].inactconns);
  }
  return reals;
}

int picked(CountRule rule, const std::vector<Dest>& dests) {
  auto pick = ipvsPick(rule, realsOf(dests));
  return pick ? static_cast<int>(*pick) : -1;
}

struct RuleCase {
  CountRule rule;
  int (*oracle)(const std::vector<Dest>&);
  const char* name;
};

const RuleCase kRules[] = {{CountRule::kLc, ipvsLc, "lc"},
                           {CountRule::kWlc, ipvsWlc, "wlc"},
                           {CountRule::kSed, ipvsSed, "sed"},
                           {CountRule::kNq, ipvsNq, "nq"},
                           {CountRule::kOvf, ipvsOvf, "ovf"}};

// 20,000 random services (1-8 dests, weights 0-5, counts 0-40 with many ties): every rule picks
// what the kernel's loop picks.
TEST(LeastConnection, EveryPickEqualsTheKernelLoop) {
  std::mt19937 rng(20261207);
  std::uniform_int_distribution<int> size(1, 8), weight(0, 5), conns(0, 40), small(0, 3);
  for (int round = 0; round < 20000; ++round) {
    std::vector<Dest> dests(static_cast<size_t>(size(rng)));
    bool ties = round % 2 == 0;
    for (auto& d : dests)
      d = {weight(rng), ties ? small(rng) : conns(rng), ties ? small(rng) : conns(rng)};
    for (const auto& rule : kRules) {
      ASSERT_EQ(picked(rule.rule, dests), rule.oracle(dests)) << rule.name << " round " << round;
    }
  }
}

TEST(LeastConnection, TiesGoToTheFirstInListOrder) {
  std::vector<Dest> equal = {{2, 2, 1}, {2, 2, 1}, {2, 2, 1}};
  for (const auto& rule : kRules) EXPECT_EQ(picked(rule.rule, equal), 0) << rule.name;
}

TEST(LeastConnection, OneActiveWeighs256Inactive) {
  // lc: a: 1 active = 256; b: 255 inactive -> b. With 257 inactive, a.
  EXPECT_EQ(picked(CountRule::kLc, {{1, 1, 0}, {1, 0, 255}}), 1);
  EXPECT_EQ(picked(CountRule::kLc, {{1, 1, 0}, {1, 0, 257}}), 0);
  // sed ignores inactive connections altogether.
  EXPECT_EQ(picked(CountRule::kSed, {{1, 1, 0}, {1, 1, 1000}}), 0);
}

TEST(LeastConnection, WlcDividesByWeight) {
  // a: 10 active / weight 1; b: 25 active / weight 3 (8.3 per unit) -> b.
  EXPECT_EQ(picked(CountRule::kWlc, {{1, 10, 0}, {3, 25, 0}}), 1);
  // sed counts the connection being placed: (0+1)/1 = 1 against (2+1)/3 = 1 -> first (a).
  EXPECT_EQ(picked(CountRule::kSed, {{1, 0, 0}, {3, 2, 0}}), 0);
}

TEST(LeastConnection, NqTakesTheFirstIdleRealWhateverItsWeight) {
  EXPECT_EQ(picked(CountRule::kNq, {{10, 1, 0}, {1, 0, 0}}), 1);
  EXPECT_EQ(picked(CountRule::kSed, {{10, 1, 0}, {1, 0, 0}}), 0);
}

TEST(LeastConnection, OvfFillsTheHeaviestUpToItsWeight) {
  // a (weight 3) takes connections while its active count has not passed 3, then b.
  EXPECT_EQ(picked(CountRule::kOvf, {{1, 0, 0}, {3, 3, 0}}), 1);
  EXPECT_EQ(picked(CountRule::kOvf, {{1, 0, 0}, {3, 4, 0}}), 0);
  EXPECT_EQ(picked(CountRule::kOvf, {{1, 2, 0}, {3, 4, 0}}), -1);  // all full: none
}

TEST(LeastConnection, HorizonOneFillsEverySlotWithTheNextPick) {
  auto reals = realsOf({{1, 5, 0}, {1, 2, 0}, {1, 4, 0}});
  auto table = steeredTable(CountRule::kWlc, reals, 1);
  ASSERT_EQ(table.slots.size(), kCountSlots);
  EXPECT_EQ(countSlots(table), (std::map<uint32_t, size_t>{{1, kCountSlots}}));
}

TEST(LeastConnection, ALongHorizonLevelsTheCounts) {
  // a 10, b 10, c 0 active; 20 arrivals: the model gives c 10 to catch up, then 10 in turn from
  // the list head (a b c a b c a b c a): c 13, a 4, b 3 -- 16 slots in that proportion by largest
  // remainder: c 10.4, a 3.2, b 2.4 -> 10, 3, 3 (b's .4 ties c's and comes first in the list).
  auto reals = realsOf({{1, 10, 0}, {1, 10, 0}, {1, 0, 0}});
  auto table = steeredTable(CountRule::kWlc, reals, 20);
  auto counts = countSlots(table);
  EXPECT_EQ(counts[2], 10u);
  EXPECT_EQ(counts[0], 3u);
  EXPECT_EQ(counts[1], 3u);
}

TEST(LeastConnection, NoLiveCountsSpreadsByWeight) {
  auto table = steeredTable(CountRule::kWlc, makeReals({1, 1, 2}), 0);
  auto counts = countSlots(table);
  EXPECT_EQ(counts[0], 4u);
  EXPECT_EQ(counts[1], 4u);
  EXPECT_EQ(counts[2], 8u);
}

TEST(LeastConnection, SlotsAreInterleavedNotGrouped) {
  auto table = steeredTable(CountRule::kWlc, makeReals({1, 1}), 0);
  ASSERT_EQ(table.slots.size(), kCountSlots);
  for (size_t i = 1; i < table.slots.size(); ++i)
    EXPECT_NE(table.slots[i], table.slots[i - 1]) << i;
}

TEST(LeastConnection, NothingQualifiesGivesAnEmptyTable) {
  EXPECT_TRUE(steeredTable(CountRule::kOvf, realsOf({{1, 2, 0}, {2, 3, 0}}), 4).slots.empty());
  EXPECT_TRUE(steeredTable(CountRule::kWlc, {}, 4).slots.empty());
}

// The sequence the netns test drives, replayed on the model: 30 long-lived connections one at a
// time (horizon 1: each table is IPVS's next pick), then the 10 of one real close, then 20 more.
TEST(LeastConnection, SequentialArrivalsFollowIpvsExactly) {
  const Scheduler* wlc = findScheduler("wlc");
  ASSERT_NE(wlc, nullptr);
  ASSERT_TRUE(wlc->countsConnections());
  auto reals = makeReals({1, 1, 1});
  auto place = [&](int n, std::vector<uint32_t>& landed) {
    for (int i = 0; i < n; ++i) {
      auto table = wlc->build(reals, SchedulerParams{.maglevTableSize = 0, .horizon = 1});
      uint32_t real = table.slots[static_cast<size_t>(i) % table.slots.size()];
      ++reals[real].activeConns;
      ++landed[real];
    }
  };
  std::vector<uint32_t> first(3, 0);
  place(30, first);
  EXPECT_EQ(first, (std::vector<uint32_t>{10, 10, 10}));
  reals[1].inactiveConns = reals[1].activeConns;  // closed: TIME_WAIT is inactive
  reals[1].activeConns = 0;
  std::vector<uint32_t> second(3, 0);
  place(20, second);
  // 10 to catch up, then the 10 inactive ones tip every tie away from it: 10 + 3 (a b c order).
  EXPECT_EQ(second[1], 13u);
  EXPECT_EQ(second[0] + second[2], 7u);
}

TEST(WeightedFailover, HighestWeightTakesAllFirstOfEquals) {
  const Scheduler* fo = findScheduler("fo");
  ASSERT_NE(fo, nullptr);
  EXPECT_EQ(fo->build(makeReals({2, 5, 5, 1}), {}).slots, (std::vector<uint32_t>{1}));
  EXPECT_EQ(fo->build(makeReals({3}), {}).slots, (std::vector<uint32_t>{0}));
  EXPECT_FALSE(fo->countsConnections());
}

}  // namespace
}  // namespace ha::director
