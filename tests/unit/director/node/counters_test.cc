#include "director/node/counters.h"

#include <gtest/gtest.h>

#include <iterator>
#include <stdexcept>

#include "director/nft/ir.h"
#include "director/nft/render.h"
#include "tests/unit/director/nft/plan_fixtures.h"

namespace ha::director {
namespace {

using testing::ip;

// Conntrack totals per (service id, real) land on their real, in and out separately, and a
// service's totals are the sum of its reals; counters and sinceStart agree before any zero.
TEST(Counters, TrafficFoldsIntoRealsAndServices) {
  auto plan = testing::samplePlan();
  KernelCounters kc;
  kc.traffic[{1, {ip("198.51.100.11"), 80}}] = RealTraffic{2, 10, 8, 1000, 4000};
  kc.traffic[{1, {ip("198.51.100.12"), 80}}] = RealTraffic{1, 5, 0, 500, 0};
  kc.connections[{1, {ip("198.51.100.11"), 80}}] = {3, 1};
  auto snap = makeSnapshot(plan, kc);
  ASSERT_EQ(snap.services.size(), plan.services.size());
  const auto& s = snap.services[0];
  ASSERT_EQ(s.plan.id, 1u);
  EXPECT_EQ(s.reals[0].counters.inPackets, 10u);
  EXPECT_EQ(s.reals[0].counters.outBytes, 4000u);
  EXPECT_EQ(s.reals[0].counters.conns, 2u);
  EXPECT_EQ(s.reals[0].sinceStart, s.reals[0].counters);
  EXPECT_EQ(s.reals[0].activeConns, 3u);
  EXPECT_EQ(s.reals[0].inactiveConns, 1u);
  EXPECT_EQ(s.counters.inPackets, 15u);
  EXPECT_EQ(s.counters.conns, 3u);
  EXPECT_EQ(s.sinceStart, s.counters);
  EXPECT_EQ(s.laddrGroup, "LAG4");
  EXPECT_TRUE(s.plan.slots.empty()) << "snapshots do not carry slot tables";
}

// Totals of an unknown service, or of a real no longer configured (or on another port), are
// not shown.
TEST(Counters, StaleKeysAreIgnored) {
  auto plan = testing::samplePlan();
  KernelCounters kc;
  kc.traffic[{1, {ip("198.51.100.99"), 80}}] = RealTraffic{1, 99, 99, 99, 99};
  kc.traffic[{1, {ip("198.51.100.11"), 8080}}] = RealTraffic{1, 99, 99, 99, 99};
  kc.traffic[{77, {ip("198.51.100.11"), 80}}] = RealTraffic{1, 99, 99, 99, 99};
  auto snap = makeSnapshot(plan, kc);
  for (const auto& s : snap.services) EXPECT_EQ(s.counters.inPackets, 0u) << s.plan.key.str();
}

KernelCounters twoReals(uint64_t scale) {
  KernelCounters kc;
  kc.traffic[{1, {ip("198.51.100.11"), 80}}] =
      RealTraffic{2 * scale, 10 * scale, 8 * scale, 1000 * scale, 4000 * scale};
  kc.traffic[{1, {ip("198.51.100.12"), 80}}] = RealTraffic{scale, 5 * scale, 0, 500 * scale, 0};
  return kc;
}

const ServiceSnapshot& serviceWithId(const DirectorSnapshot& snap, uint32_t id) {
  for (const auto& s : snap.services) {
    if (s.plan.id == id) return s;
  }
  throw std::runtime_error("no service " + std::to_string(id));
}

// ipvsadm -Z of one service: its reals restart from zero, what came after shows, sinceStart
// goes on, and the other services are untouched.
TEST(CounterBaselines, ZeroOfOneServiceSubtractsItsTotalsOnly) {
  auto plan = testing::samplePlan();
  ASSERT_GE(plan.services.size(), 2u);
  auto kc = twoReals(1);
  const auto& other = std::next(plan.services.begin())->second;
  ASSERT_FALSE(other.reals.empty());
  kc.traffic[{other.id, other.reals[0].endpoint}] = RealTraffic{7, 70, 70, 700, 700};
  CounterBaselines baselines;
  baselines.zero(makeSnapshot(plan, kc), plan.services.at(1).key);

  auto later = twoReals(3);
  later.traffic[{other.id, other.reals[0].endpoint}] = RealTraffic{7, 70, 70, 700, 700};
  auto snap = makeSnapshot(plan, later);
  baselines.apply(snap);
  const auto& zeroed = serviceWithId(snap, 1);
  EXPECT_EQ(zeroed.reals[0].counters, (TrafficCounters{4, 20, 16, 2000, 8000}));
  EXPECT_EQ(zeroed.reals[0].sinceStart, (TrafficCounters{6, 30, 24, 3000, 12000}));
  EXPECT_EQ(zeroed.counters.inBytes, 2000u + 1000u);
  EXPECT_EQ(zeroed.sinceStart.inBytes, 3000u + 1500u);
  const auto& untouched = serviceWithId(snap, other.id);
  EXPECT_EQ(untouched.reals[0].counters, (TrafficCounters{7, 70, 70, 700, 700}));
}

// Zero of everything right away shows zeros; a total below its baseline (finished flows whose
// end was lost) shows zero, never a wrapped number.
TEST(CounterBaselines, ZeroOfAllAndTotalsThatWentDown) {
  auto plan = testing::samplePlan();
  CounterBaselines baselines;
  baselines.zero(makeSnapshot(plan, twoReals(2)), std::nullopt);
  auto same = makeSnapshot(plan, twoReals(2));
  baselines.apply(same);
  for (const auto& s : same.services) EXPECT_EQ(s.counters, TrafficCounters{}) << s.plan.key.str();
  auto lower = makeSnapshot(plan, twoReals(1));
  baselines.apply(lower);
  EXPECT_EQ(serviceWithId(lower, 1).counters, TrafficCounters{});
  EXPECT_EQ(serviceWithId(lower, 1).sinceStart.inBytes, 1500u);
}

// DR counters are per slot (l4proto . vip . vport . slot) and fold into the slot's real.
TEST(Counters, DrSlotCountersFoldIntoReals) {
  auto plan = testing::samplePlan();
  const auto& dr = plan.services.at(4);
  KernelCounters kc;
  kc.drStats = {{nft::drBackendKey(dr.key, 0), 4, 400}, {nft::drBackendKey(dr.key, 2), 6, 600},
                {nft::drBackendKey(dr.key, 1), 1, 100}};
  auto snap = makeSnapshot(plan, kc);
  const ServiceSnapshot* s = nullptr;
  for (const auto& c : snap.services) {
    if (c.plan.id == 4) s = &c;
  }
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->reals[0].counters.inPackets, 10u) << "slots 0 and 2 both hold 198.51.100.11";
  EXPECT_EQ(s->reals[1].counters.inPackets, 1u);
  EXPECT_EQ(s->counters.inBytes, 1100u);
}

}  // namespace
}  // namespace ha::director
