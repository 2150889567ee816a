#include "director/nft/patch.h"

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>
#include <utility>

#include "director/nft/diff.h"
#include "director/nft/ir_text.h"
#include "director/nft/render.h"
#include "tests/fakes/fake_nft_writer.h"
#include "tests/unit/director/nft/plan_fixtures.h"

namespace ha::director::nft {
namespace {

using testing::ip;
using testing::samplePlan;

// Patching only the changed services lands exactly where a full render + diff would: in memory
// and in the (fake) kernel.
void expectPatchEqualsRender(const ForwardingPlan& before, const ForwardingPlan& after) {
  ASSERT_TRUE(canPatch(before, after));
  NftState installed = render(before);
  auto changed = changedServices(before, after);
  Transaction tx = patchServices(installed, before, after, changed);
  EXPECT_EQ(installed, render(after)) << toText(installed) << "---\n" << toText(render(after));
  FakeNftWriter fake;
  ASSERT_TRUE(fake.commit(replaceAll(render(before), {inetTable(), netdevTable()})).ok());
  auto st = fake.commit(tx);
  ASSERT_TRUE(st.ok()) << st.error() << "\n" << toText(tx);
  EXPECT_EQ(fake.state(), render(after));
}

struct Change {
  const char* what;
  std::function<void(ForwardingPlan&)> apply;
};

// Every kind of per-service change: rotation modulus, class chain shared or not, removal,
// addition, DR slots, persistence, all reals out, and several services at once.
TEST(Patch, EveryChangeMatchesAFullRender) {
  Endpoint r1{ip("198.51.100.11"), 80}, r2{ip("198.51.100.12"), 80};
  std::vector<Change> changes = {
      {"rotation modulus 3 -> 2", [](ForwardingPlan& p) { p.services[1].slots.pop_back(); }},
      {"slots reordered, same modulus", [&](ForwardingPlan& p) { p.services[1].slots = {r2, r1, r2}; }},
      {"service removed", [](ForwardingPlan& p) { p.services.erase(2); }},
      {"service added to an existing class",
       [&](ForwardingPlan& p) {
         p.services[5] = testing::service(5, Protocol::kTcp, "192.0.2.105", 80, ForwardMode::kNat, "rr",
                                          SlotPick::kRotation, {r1, r2, r1});
       }},
      {"DR slots", [&](ForwardingPlan& p) { p.services[4].slots = {r1, r1, r1, r2}; }},
      {"DR modulus", [&](ForwardingPlan& p) { p.services[4].slots = {r1, r2}; }},
      {"persistence off", [](ForwardingPlan& p) { p.services[2].persistenceTimeoutSec = 0; }},
      {"all reals out", [](ForwardingPlan& p) { p.services[1].slots.clear(); }},
      {"IPv6 service removed", [](ForwardingPlan& p) { p.services.erase(3); }},
      {"several at once",
       [&](ForwardingPlan& p) {
         p.services.erase(1);
         p.services[2].slots = {p.services[2].slots[0]};
         p.services[4].slots = {r2, r2, r1, r1};
       }},
  };
  for (const auto& c : changes) {
    SCOPED_TRACE(c.what);
    auto before = samplePlan();
    auto after = before;
    c.apply(after);
    expectPatchEqualsRender(before, after);
    expectPatchEqualsRender(after, before);
  }
}

// A change no patch can express (the hash seed) is refused, so the caller falls back to a full diff.
TEST(Patch, SeedOrGroupChangesNeedAFullDiff) {
  auto before = samplePlan();
  auto after = before;
  after.hashSeed ^= 1;
  EXPECT_FALSE(canPatch(before, after));
  after = before;
  after.laddrGroups[1].addresses.pop_back();
  EXPECT_FALSE(canPatch(before, after));
}

// A drain that moves a service to a slot count another service already has, and the restore
// back, edit elements only: no chain is created or deleted, no rule written (each would make the
// kernel bind the 100k-element backends map, tens of ms at 10k services).
TEST(Patch, ModulusChangeToAnExistingClassEditsElementsOnly) {
  Endpoint r1{ip("198.51.100.11"), 80}, r2{ip("198.51.100.12"), 80}, r3{ip("198.51.100.13"), 80};
  auto full = samplePlan();
  full.services[5] = testing::service(5, Protocol::kTcp, "192.0.2.105", 80, ForwardMode::kNat, "rr",
                                      SlotPick::kRotation, {r1, r2});
  full.services[6] = testing::service(6, Protocol::kTcp, "192.0.2.106", 80, ForwardMode::kNat, "rr",
                                      SlotPick::kRotation, {r1, r2, r3});
  auto drained = full;
  drained.services[6].slots = {r1, r3};
  for (const auto& [before, after] : {std::pair{full, drained}, std::pair{drained, full}}) {
    NftState installed = render(before);
    Transaction tx = patchServices(installed, before, after, changedServices(before, after));
    EXPECT_EQ(installed, render(after));
    std::set<std::string> touched;
    for (const auto& op : tx.ops) {
      if (const auto* add = std::get_if<AddElements>(&op)) {
        touched.insert(add->set);
      } else if (const auto* del = std::get_if<DeleteElements>(&op)) {
        touched.insert(del->set);
      } else {
        ADD_FAILURE() << "not an element edit:\n" << toText(tx);
      }
    }
    EXPECT_EQ(touched, (std::set<std::string>{"backends4", "services4"})) << toText(tx);
  }
}

// Display-only differences (weights of drained reals, file:line) change nothing in the kernel.
TEST(Patch, DisplayOnlyChangesAreNotChanges) {
  auto before = samplePlan();
  auto after = before;
  after.services[1].where.line += 7;
  after.services[1].reals[0].weight = 9;
  EXPECT_TRUE(changedServices(before, after).empty());
}

}  // namespace
}  // namespace ha::director::nft
