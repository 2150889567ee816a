#include "director/nft/render.h"

#include <gtest/gtest.h>

#include "director/nft/diff.h"
#include "director/nft/ir_text.h"
#include "director/nft/names.h"
#include "tests/fakes/fake_nft_writer.h"
#include "tests/unit/director/nft/golden.h"
#include "tests/unit/director/nft/plan_fixtures.h"

namespace ha::director::nft {
namespace {

using testing::expectGolden;

using testing::samplePlan;

// The whole ruleset of a plan with every mode, as the kernel would hold it after the first apply.
TEST(Render, SamplePlanMatchesGoldenDump) {
  FakeNftWriter fake;
  auto desired = render(samplePlan());
  ASSERT_TRUE(fake.commit(replaceAll(desired, {inetTable(), netdevTable()})).ok());
  EXPECT_EQ(fake.state(), desired);
  expectGolden(fake.dump(), "sample_plan.golden");
}

// Base chains and set definitions do not depend on the services: the shape is static.
TEST(Render, BaseChainsAreIndependentOfServices) {
  auto empty = render(ForwardingPlan{});
  auto full = render(samplePlan());
  for (const char* chain : {"prerouting", "postrouting"}) {
    EXPECT_EQ(empty.tables.at(inetTable()).chains.at(chain), full.tables.at(inetTable()).chains.at(chain));
  }
  EXPECT_EQ(empty.tables.at(inetTable()).sets, full.tables.at(inetTable()).sets);
  EXPECT_EQ(empty.tables.count(netdevTable()), 0u) << "no DR service, no netdev table";
}

// A weight change under a flow-hash scheduler edits map elements only: no rule is touched.
TEST(Diff, FlowHashWeightChangeEditsElementsOnly) {
  auto before = samplePlan();
  auto after = before;
  auto& dr = after.services[4];
  dr.slots = {dr.slots[0], dr.slots[0], dr.slots[0], dr.slots[1]};
  auto tx = diff(render(before), render(after));
  ASSERT_FALSE(tx.empty());
  for (const auto& op : tx.ops) {
    EXPECT_TRUE(std::holds_alternative<AddElements>(op) || std::holds_alternative<DeleteElements>(op))
        << toText(tx);
  }
  FakeNftWriter fake;
  ASSERT_TRUE(fake.commit(replaceAll(render(before), {inetTable()})).ok());
  ASSERT_TRUE(fake.commit(tx).ok());
  EXPECT_EQ(fake.state(), render(after));
}

// A rotation scheduler whose slot count changes re-points that service's map element to the class
// chain of its new modulus (created if needed, deleted when its last service leaves); no other
// chain and no set is touched.
TEST(Diff, RotationSlotCountChangeRepointsOneElement) {
  auto before = samplePlan();
  auto after = before;
  after.services[1].slots.pop_back();
  auto tx = diff(render(before), render(after));
  for (const auto& op : tx.ops) {
    if (const auto* f = std::get_if<FlushChain>(&op)) {
      EXPECT_EQ(f->name, "dnat4_rot3") << "only the class chain that loses its last service";
    }
    if (const auto* r = std::get_if<AddRule>(&op)) {
      EXPECT_EQ(r->chain, "dnat4_rot2");
    }
    EXPECT_FALSE(std::holds_alternative<AddSet>(op) || std::holds_alternative<DeleteSet>(op));
  }
  expectGolden(toText(tx), "rotation_shrink.tx.golden");
}

// A service whose last real leaves rotation drops new flows right in the services map.
TEST(Diff, NoRealInRotationDropsInTheServicesMap) {
  auto plan = samplePlan();
  plan.services[1].slots.clear();
  auto state = render(plan);
  const auto& services = state.tables.at(inetTable()).elements.at("services4");
  const auto& target = services.at(serviceKey(plan.services[1].key));
  EXPECT_EQ(std::get<Verdict>(target).code, Verdict::Code::kDrop);
}

// Removing a service deletes its class chain (when it was the last user) after the map element
// that jumped to it.
TEST(Diff, RemovingAServiceUnhooksThenDeletesItsChain) {
  auto before = samplePlan();
  auto after = before;
  after.services.erase(1);
  FakeNftWriter fake;
  ASSERT_TRUE(fake.commit(replaceAll(render(before), {inetTable(), netdevTable()})).ok());
  auto tx = diff(render(before), render(after));
  ASSERT_TRUE(fake.commit(tx).ok()) << toText(tx);
  EXPECT_EQ(fake.state(), render(after));
  EXPECT_EQ(fake.state().tables.at(inetTable()).chains.count("dnat4_rot3"), 0u) << "its only user left";
}

// Dropping the last DR service removes the netdev table; adding one back re-creates it.
TEST(Diff, NetdevTableFollowsDrServices) {
  auto before = samplePlan();
  auto after = before;
  after.services.erase(4);
  after.drDevices.clear();
  FakeNftWriter fake;
  ASSERT_TRUE(fake.commit(replaceAll(render(before), {inetTable(), netdevTable()})).ok());
  ASSERT_TRUE(fake.commit(diff(render(before), render(after))).ok());
  EXPECT_EQ(fake.state().tables.count(netdevTable()), 0u);
  ASSERT_TRUE(fake.commit(diff(render(after), render(before))).ok());
  EXPECT_EQ(fake.state(), render(before));
}

// Applying the diff between any two plans of a sequence always lands exactly on the second.
TEST(Diff, SequenceOfPlansConverges) {
  std::vector<ForwardingPlan> plans;
  plans.push_back(ForwardingPlan{});
  plans.push_back(samplePlan());
  auto p = samplePlan();
  p.services.erase(2);
  p.services[1].slots = {p.services[1].slots[1]};
  plans.push_back(p);
  p.services[1].slots.clear();  // every real out: the chain keeps only its drop rule
  plans.push_back(p);
  p.services[4].slots = {p.services[4].slots[0]};
  plans.push_back(p);
  plans.push_back(samplePlan());
  plans.push_back(ForwardingPlan{});
  FakeNftWriter fake;
  NftState current;
  for (const auto& plan : plans) {
    auto next = render(plan);
    auto tx = diff(current, next);
    ASSERT_TRUE(fake.commit(tx).ok()) << toText(tx);
    EXPECT_EQ(fake.state(), next);
    EXPECT_TRUE(diff(next, next).empty());
    current = next;
  }
}

// A stale table from a crashed run is replaced in the same transaction as the new ruleset.
TEST(Diff, ReplaceAllDropsStaleState) {
  FakeNftWriter fake;
  ASSERT_TRUE(fake.commit(replaceAll(render(samplePlan()), {inetTable(), netdevTable()})).ok());
  ForwardingPlan small;
  small.services[9] = testing::service(9, Protocol::kTcp, "192.0.2.9", 80, ForwardMode::kNat, "rr",
                                       SlotPick::kRotation, {{testing::ip("198.51.100.11"), 80}});
  ASSERT_TRUE(fake.commit(replaceAll(render(small), {inetTable(), netdevTable()})).ok());
  EXPECT_EQ(fake.state(), render(small));
}

// A failed commit changes nothing (the kernel aborts the whole batch).
TEST(Diff, FailedCommitLeavesStateUntouched) {
  FakeNftWriter fake;
  ASSERT_TRUE(fake.commit(replaceAll(render(samplePlan()), {inetTable()})).ok());
  auto before = fake.state();
  Transaction bad = diff(render(samplePlan()), render(ForwardingPlan{}));
  bad.ops.push_back(AddRule{inetTable(), "no_such_chain", Rule{}});
  auto st = fake.commit(bad);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().find("no_such_chain"), std::string::npos) << st.error();
  EXPECT_EQ(fake.state(), before);
}

// Element keys follow the register layout: l4proto . vip . port, each padded to 4 bytes.
TEST(Render, ServiceKeyLayout) {
  auto key = serviceKey({Protocol::kTcp, testing::ip("192.0.2.1"), 80});
  EXPECT_EQ(hexWords(key), "06000000.c0000201.00500000");
  auto v6 = serviceKey({Protocol::kUdp, testing::ip("fd00::1"), 53});
  EXPECT_EQ(v6.size(), 24u);
}

}  // namespace
}  // namespace ha::director::nft
