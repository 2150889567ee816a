#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "director/config/config_model.h"
#include "director/sched/maglev.h"
#include "director/sched/scheduler.h"
#include "tests/unit/director/sched/sched_test_util.h"

namespace ha::director {
namespace {

using testing::countSlots;
using testing::makeReals;

SlotTable buildMh(std::span<const SchedReal> reals, uint32_t tableSize = 0) {
  return findScheduler("mh")->build(reals, SchedulerParams{.maglevTableSize = tableSize});
}

// slot -> "address:port", so tables over differently ordered inputs compare by real identity.
std::vector<std::string> endpoints(const SlotTable& table, std::span<const SchedReal> reals) {
  std::vector<std::string> out;
  for (uint32_t s : table.slots) out.push_back(formatEndpoint(reals[s].address, reals[s].port));
  return out;
}

// The worst relative deviation of any real's slot count from its ideal share of M.
double worstDeviation(const SlotTable& table, const std::vector<double>& idealShares) {
  auto counts = countSlots(table);
  double m = static_cast<double>(table.slots.size());
  double worst = 0;
  for (size_t i = 0; i < idealShares.size(); ++i) {
    double ideal = idealShares[i] * m;
    double got = static_cast<double>(counts[static_cast<uint32_t>(i)]);
    worst = std::max(worst, std::abs(got - ideal) / ideal);
  }
  return worst;
}

// The paper's worked example (NSDI'16 §3.4, Table 1): M=7, permutations B0 (3,4), B1 (0,2),
// B2 (3,1) populate to B1 B0 B1 B0 B2 B2 B0.
TEST(Maglev, PopulatesThePapersExample) {
  std::vector<MaglevPermutation> perms = {{3, 4}, {0, 2}, {3, 1}};
  std::vector<uint32_t> equal = {1, 1, 1};
  EXPECT_EQ(populateMaglev(perms, equal, 7), (std::vector<uint32_t>{1, 0, 1, 0, 2, 2, 0}));
}

// Weighted turns by hand on the same permutations, weights 2:1:1. t=1: B0->3. t=2: B0->0,
// B1->2, B2->4. t=3: B0->1. t=4: B0->5, B1->6: full.
TEST(Maglev, WeightedTurnsByHand) {
  std::vector<MaglevPermutation> perms = {{3, 4}, {0, 2}, {3, 1}};
  std::vector<uint32_t> weights = {2, 1, 1};
  EXPECT_EQ(populateMaglev(perms, weights, 7), (std::vector<uint32_t>{0, 0, 1, 0, 2, 0, 1}));
}

// M is the given prime, or kDefaultMaglevTableSize when 0; every slot names one of the reals.
TEST(Maglev, FillsEverySlotOfTheGivenOrDefaultPrime) {
  auto reals = makeReals({1, 1, 1, 1});
  SlotTable given = buildMh(reals, 251);
  EXPECT_EQ(given.pick, SlotPick::kFlowHash);
  EXPECT_EQ(given.slots.size(), 251u);
  SlotTable dflt = buildMh(reals);
  EXPECT_EQ(dflt.slots.size(), kDefaultMaglevTableSize);
  EXPECT_EQ(dflt.slots.size(), 4093u);
  for (uint32_t s : dflt.slots) EXPECT_LT(s, reals.size());
  EXPECT_EQ(countSlots(dflt).size(), reals.size());
}

// Equal weights, N=10, M=4093: every real within 1% of M/N (Algorithm 1 hands out turns in
// rounds, so counts differ by at most one).
TEST(Maglev, BalancedWithinOnePercent) {
  auto reals = makeReals(std::vector<uint32_t>(10, 1));
  SlotTable table = buildMh(reals, 4093);
  double worst = worstDeviation(table, std::vector<double>(10, 0.1));
  auto counts = countSlots(table);
  auto [lo, hi] = std::minmax_element(counts.begin(), counts.end(),
                                      [](auto& a, auto& b) { return a.second < b.second; });
  std::printf("[ measured ] mh N=10 M=4093: slots per real %zu..%zu, worst deviation %.3f%%\n",
              lo->second, hi->second, worst * 100);
  EXPECT_LE(worst, 0.01);
  EXPECT_LE(hi->second - lo->second, 1u);
}

// Weights 3:1 give 75%/25% of the slots, within 1%.
TEST(Maglev, WeightedProportions) {
  auto reals = makeReals({3, 1});
  SlotTable table = buildMh(reals, 4093);
  double worst = worstDeviation(table, {0.75, 0.25});
  std::printf("[ measured ] mh weights 3:1 M=4093: %zu/%zu slots, worst deviation %.3f%%\n",
              countSlots(table)[0], countSlots(table)[1], worst * 100);
  EXPECT_LE(worst, 0.01);

  auto mixed = makeReals({5, 1, 2, 2, 10});
  double mixedWorst = worstDeviation(buildMh(mixed, 4093), {0.25, 0.05, 0.1, 0.1, 0.5});
  std::printf("[ measured ] mh weights 5:1:2:2:10 M=4093: worst deviation %.3f%%\n",
              mixedWorst * 100);
  EXPECT_LE(mixedWorst, 0.01);
}

// Removing 1 of N=10 reals moves about 1/N of the slots: the removed real's, plus few moved
// between surviving reals (<= 2% of M). Checked for each real in turn.
TEST(Maglev, RemovingARealRemapsAboutOneNth) {
  constexpr uint32_t kM = 4093;
  auto reals = makeReals(std::vector<uint32_t>(10, 1));
  std::vector<std::string> before = endpoints(buildMh(reals, kM), reals);
  size_t worstMoved = 0;
  size_t worstChanged = 0;
  for (size_t gone = 0; gone < reals.size(); ++gone) {
    std::vector<SchedReal> survivors = reals;
    survivors.erase(survivors.begin() + static_cast<std::ptrdiff_t>(gone));
    std::vector<std::string> after = endpoints(buildMh(survivors, kM), survivors);
    std::string goneName = formatEndpoint(reals[gone].address, reals[gone].port);
    size_t changed = 0;
    size_t moved = 0;  // from one surviving real to another
    for (size_t s = 0; s < kM; ++s) {
      if (before[s] == after[s]) continue;
      ++changed;
      if (before[s] != goneName) ++moved;
    }
    worstMoved = std::max(worstMoved, moved);
    worstChanged = std::max(worstChanged, changed);
    EXPECT_LE(moved, kM * 2 / 100) << "removing " << goneName;
  }
  std::printf(
      "[ measured ] mh N=10 M=4093 remove one: worst %zu slots changed (%.2f%% of M, "
      "1/N = 10%%), worst %zu moved between survivors (%.2f%% of M)\n",
      worstChanged, 100.0 * static_cast<double>(worstChanged) / kM, worstMoved,
      100.0 * static_cast<double>(worstMoved) / kM);
  EXPECT_LE(worstChanged, kM / 10 + 1 + kM * 2 / 100);
}

// The table depends on the set of reals, not the order they are given in.
TEST(Maglev, IndependentOfInputOrder) {
  auto reals = makeReals({1, 2, 1, 3, 1, 1, 2});
  reals[2].port = 8080;
  reals[5].address = *IpAddress::parse("fd00::5");
  std::vector<SchedReal> shuffled = {reals[4], reals[0], reals[6], reals[2],
                                     reals[5], reals[3], reals[1]};
  std::vector<SchedReal> reversed(reals.rbegin(), reals.rend());
  auto expected = endpoints(buildMh(reals, 1021), reals);
  EXPECT_EQ(endpoints(buildMh(shuffled, 1021), shuffled), expected);
  EXPECT_EQ(endpoints(buildMh(reversed, 1021), reversed), expected);
}

// Permutations are a fixed function of address and port: same on every node and every run.
TEST(Maglev, PermutationIsAPureFunctionOfTheReal) {
  auto a = maglevPermutation(*IpAddress::parse("10.0.0.1"), 80, 4093);
  EXPECT_EQ(a, maglevPermutation(*IpAddress::parse("10.0.0.1"), 80, 4093));
  EXPECT_NE(a, maglevPermutation(*IpAddress::parse("10.0.0.1"), 81, 4093));
  EXPECT_LT(a.offset, 4093u);
  EXPECT_GE(a.skip, 1u);
  EXPECT_LT(a.skip, 4093u);
}

// isPrime, which the config parser can use to refuse a bad table size.
TEST(Maglev, IsPrime) {
  EXPECT_FALSE(isPrime(0));
  EXPECT_FALSE(isPrime(1));
  EXPECT_TRUE(isPrime(2));
  EXPECT_TRUE(isPrime(13));
  EXPECT_TRUE(isPrime(4093));
  EXPECT_TRUE(isPrime(65537));
  EXPECT_FALSE(isPrime(4095));
  EXPECT_FALSE(isPrime(65536));
  EXPECT_TRUE(isPrime(4294967291u));  // largest 32-bit prime
}

// A non-prime table size is a broken invariant (the parser refuses it): abort, don't guess.
TEST(MaglevDeathTest, NonPrimeTableSizeAborts) {
  auto reals = makeReals({1});
  EXPECT_DEATH(buildMh(reals, 12), "not prime");
}

// Small golden table: 3 reals (one IPv6, one on another port), M=13, with each real's
// permutation, so a reader can replay Algorithm 1 by hand.
TEST(Maglev, GoldenThreeRealsThirteenSlots) {
  std::vector<SchedReal> reals = {
      {.address = *IpAddress::parse("192.0.2.10"), .port = 80, .weight = 1},
      {.address = *IpAddress::parse("192.0.2.11"), .port = 8080, .weight = 1},
      {.address = *IpAddress::parse("2001:db8::1"), .port = 80, .weight = 1},
  };
  constexpr uint32_t kM = 13;
  SlotTable table = buildMh(reals, kM);
  std::ostringstream out;
  out << "# mh M=" << kM << " weights 1. real: offset skip | permutation (NSDI'16 §3.4)\n";
  for (size_t i = 0; i < reals.size(); ++i) {
    MaglevPermutation p = maglevPermutation(reals[i].address, reals[i].port, kM);
    out << i << " " << formatEndpoint(reals[i].address, reals[i].port) << ": " << p.offset << " "
        << p.skip << " |";
    for (uint32_t j = 0; j < kM; ++j) out << " " << (p.offset + j * p.skip) % kM;
    out << "\n";
  }
  out << "slots:";
  for (uint32_t s : table.slots) out << " " << s;
  out << "\n";

  std::ifstream file(HA_TEST_DATA_DIR "/sched/mh_3x13.golden");
  ASSERT_TRUE(file) << "missing golden; actual:\n" << out.str();
  std::stringstream golden;
  golden << file.rdbuf();
  EXPECT_EQ(out.str(), golden.str());
}

}  // namespace
}  // namespace ha::director
