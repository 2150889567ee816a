#include "director/node/counters.h"

#include <gtest/gtest.h>

#include "director/nft/ir.h"
#include "director/nft/names.h"
#include "director/nft/render.h"
#include "tests/unit/director/nft/plan_fixtures.h"

namespace ha::director {
namespace {

using nft::KeyBuilder;
using testing::ip;

nft::Bytes statsKey(uint32_t id, uint8_t dir, const char* real, uint16_t port) {
  auto a = ip(real);
  return KeyBuilder().hostU32(nft::serviceMark(id)).u8(dir).raw(a.bytes(), a.size()).be16(port).take();
}

nft::Bytes connsKey(uint32_t id, const char* real, uint16_t port) {
  auto a = ip(real);
  return KeyBuilder().hostU32(nft::serviceMark(id)).raw(a.bytes(), a.size()).be16(port).take();
}

// Kernel stats keys (mark . dir . real . port) land on the right real, in and out separately,
// and a service's totals are the sum of its reals.
TEST(Counters, StatsKeysFoldIntoRealsAndServices) {
  auto plan = testing::samplePlan();
  KernelCounters kc;
  kc.stats4 = {{statsKey(1, 0, "198.51.100.11", 80), 10, 1000},
               {statsKey(1, 1, "198.51.100.11", 80), 8, 4000},
               {statsKey(1, 0, "198.51.100.12", 80), 5, 500}};
  kc.conns4 = {{connsKey(1, "198.51.100.11", 80), 2, 120}, {connsKey(1, "198.51.100.12", 80), 1, 60}};
  kc.connections[{1, {ip("198.51.100.11"), 80}}] = {3, 1};
  auto snap = makeSnapshot(plan, kc);
  ASSERT_EQ(snap.services.size(), plan.services.size());
  const auto& s = snap.services[0];
  ASSERT_EQ(s.plan.id, 1u);
  EXPECT_EQ(s.reals[0].counters.inPackets, 10u);
  EXPECT_EQ(s.reals[0].counters.outBytes, 4000u);
  EXPECT_EQ(s.reals[0].counters.conns, 2u);
  EXPECT_EQ(s.reals[0].activeConns, 3u);
  EXPECT_EQ(s.reals[0].inactiveConns, 1u);
  EXPECT_EQ(s.counters.inPackets, 15u);
  EXPECT_EQ(s.counters.conns, 3u);
  EXPECT_EQ(s.laddrGroup, "LAG4");
  EXPECT_TRUE(s.plan.slots.empty()) << "snapshots do not carry slot tables";
}

// Keys that are not ours, of the wrong size, or for a real no longer configured are ignored.
TEST(Counters, ForeignAndStaleKeysAreIgnored) {
  auto plan = testing::samplePlan();
  KernelCounters kc;
  auto foreign = statsKey(1, 0, "198.51.100.11", 80);
  foreign[3] = 0x00;  // top byte of the host-order mark: not 0xd1
  kc.stats4 = {{foreign, 99, 99},
               {nft::Bytes{1, 2, 3}, 99, 99},
               {statsKey(1, 0, "198.51.100.99", 80), 99, 99},
               {statsKey(77, 0, "198.51.100.11", 80), 99, 99}};
  auto snap = makeSnapshot(plan, kc);
  for (const auto& s : snap.services) EXPECT_EQ(s.counters.inPackets, 0u);
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
