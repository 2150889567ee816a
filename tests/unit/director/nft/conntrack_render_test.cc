// lvs_timeouts as ct timeout objects attached by the class chains, and persistence_granularity as
// a mask on the persistence key: the ruleset (golden), and a timeout change that only moves
// services-map elements and class chains (never backends or marks).
#include <gtest/gtest.h>

#include "director/nft/diff.h"
#include "director/nft/ir_text.h"
#include "director/nft/patch.h"
#include "director/nft/render.h"
#include "tests/fakes/fake_nft_writer.h"
#include "tests/unit/director/nft/golden.h"
#include "tests/unit/director/nft/plan_fixtures.h"

namespace ha::director::nft {
namespace {

using testing::expectGolden;

using testing::ip;
using testing::service;

ForwardingPlan plan(const ConnTimeouts& timeouts, size_t services) {
  ForwardingPlan p;
  p.hashSeed = 7;
  for (uint32_t id = 1; id <= services; ++id) {
    auto sp = service(id, id % 2 == 0 ? Protocol::kUdp : Protocol::kTcp, "192.0.2.101",
                      static_cast<uint16_t>(id), ForwardMode::kNat, "rr", SlotPick::kRotation,
                      {{ip("198.51.100.11"), 80}, {ip("198.51.100.12"), 80}});
    sp.timeouts = timeouts;
    p.services[id] = sp;
  }
  return p;
}

// A service with its own timeouts and a /24 persistence granularity: its class chain attaches the
// two ct timeout objects of its values and masks the client address in both persistence rules.
TEST(ConntrackRender, TimeoutsAndGranularityMatchGolden) {
  auto p = plan(ConnTimeouts{}, 1);
  auto sp =
      service(2, Protocol::kTcp, "192.0.2.100", 80, ForwardMode::kNat, "rr", SlotPick::kRotation,
              {{ip("198.51.100.11"), 80}, {ip("198.51.100.12"), 80}, {ip("198.51.100.13"), 80}});
  sp.persistenceTimeoutSec = 60;
  sp.persistenceMask = ip("255.255.255.0");
  sp.timeouts = ConnTimeouts{3600, 30, 20};
  p.services[2] = sp;
  FakeNftWriter fake;
  auto desired = render(p);
  ASSERT_TRUE(fake.commit(replaceAll(desired, {inetTable()})).ok());
  EXPECT_EQ(fake.state(), desired);
  expectGolden(fake.dump(), "conntrack_features.golden");
}

// directorctl --set at 1,000 services: new objects and chains, each services-map element
// re-pointed, the old chain and objects gone; backends and marks untouched; the result equals a
// full render of the new plan, and the patch equals the full diff.
TEST(ConntrackRender, TimeoutChangeMovesOnlyServiceElements) {
  auto before = plan(ConnTimeouts{}, 1000);
  auto after = plan(ConnTimeouts{100, 10, 5}, 1000);
  FakeNftWriter fake;
  ASSERT_TRUE(fake.commit(replaceAll(render(before), {inetTable()})).ok());
  NftState installed = render(before);
  auto changed = changedServices(before, after);
  EXPECT_EQ(changed.size(), 1000u);
  auto tx = patchServices(installed, before, after, changed);
  size_t addedObjects = 0, deletedObjects = 0;
  for (const auto& op : tx.ops) {
    if (const auto* a = std::get_if<AddElements>(&op)) {
      EXPECT_EQ(a->set, "services4");
    }
    if (const auto* d = std::get_if<DeleteElements>(&op)) {
      EXPECT_EQ(d->set, "services4");
    }
    addedObjects += std::holds_alternative<AddObject>(op) ? 1 : 0;
    deletedObjects += std::holds_alternative<DeleteObject>(op) ? 1 : 0;
  }
  EXPECT_EQ(addedObjects, 2u);
  EXPECT_EQ(deletedObjects, 2u);
  ASSERT_TRUE(fake.commit(tx).ok());
  EXPECT_EQ(fake.state(), render(after));
  EXPECT_EQ(installed, render(after));
  EXPECT_TRUE(fake.state().tables.at(inetTable()).objects.count("dnat4_rot2_t100_10_5_tcp") == 1);
}

// One service of two leaves a class for other timeouts: the class chain and its objects stay for
// the other service (the kernel would refuse to delete an object a rule names).
TEST(ConntrackRender, SharedClassKeepsItsObjects) {
  auto before = plan(ConnTimeouts{}, 2);
  auto after = before;
  after.services[2].timeouts = ConnTimeouts{900, 120, 30};
  FakeNftWriter fake;
  ASSERT_TRUE(fake.commit(replaceAll(render(before), {inetTable()})).ok());
  NftState installed = render(before);
  auto tx = patchServices(installed, before, after, changedServices(before, after));
  ASSERT_TRUE(fake.commit(tx).ok()) << toText(tx);
  EXPECT_EQ(fake.state(), render(after));
  const auto& objects = fake.state().tables.at(inetTable()).objects;
  EXPECT_EQ(objects.count("dnat4_rot2_tcp"), 1u);
  EXPECT_EQ(objects.count("dnat4_rot2_t900_120_30_udp"), 1u);
}

// ops: the raw-priority and forward chains and maps exist only with an ops service; its datagrams
// go to an ops class chain (dnat by payload writes, notrack) and its reals' replies are mapped back
// to the VIP; the service is in no nat map but its marks and slots are the ordinary ones.
TEST(ConntrackRender, OpsServiceIsStatelessAndItsChainsComeAndGo) {
  auto p = plan(ConnTimeouts{}, 1);
  auto ops =
      service(2, Protocol::kUdp, "192.0.2.101", 5353, ForwardMode::kNat, "rr", SlotPick::kRotation,
              {{ip("198.51.100.11"), 5300}, {ip("198.51.100.12"), 5300}});
  ops.oneShot = true;
  p.services[2] = ops;
  FakeNftWriter fake;
  auto desired = render(p);
  ASSERT_TRUE(fake.commit(replaceAll(desired, {inetTable()})).ok());
  expectGolden(fake.dump(), "ops_plan.golden");
  const auto& t = desired.tables.at(inetTable());
  EXPECT_EQ(t.chains.count("ops_raw"), 1u);
  EXPECT_EQ(t.elements.at("services4").count(serviceKey(ops.key)), 0u);
  EXPECT_EQ(t.elements.at("ops_replies4").size(), 2u);
  // Without ops services the chains and maps go, in one transaction the fake accepts.
  auto without = plan(ConnTimeouts{}, 1);
  EXPECT_FALSE(canPatch(p, without));
  ASSERT_TRUE(fake.commit(diff(desired, render(without))).ok());
  EXPECT_EQ(fake.state(), render(without));
  EXPECT_EQ(fake.state().tables.at(inetTable()).chains.count("ops_raw"), 0u);
}

}  // namespace
}  // namespace ha::director::nft
