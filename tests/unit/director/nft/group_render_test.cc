// virtual_server_group and fwmark services in the ruleset: one service id reached from several
// services4 keys and from the fwmarks map; health flips stay element edits (README.md).
#include <gtest/gtest.h>

#include <functional>
#include <utility>
#include <vector>

#include "director/nft/diff.h"
#include "director/nft/ir_text.h"
#include "director/nft/names.h"
#include "director/nft/patch.h"
#include "director/nft/render.h"
#include "tests/fakes/fake_nft_writer.h"
#include "tests/unit/director/nft/golden.h"
#include "tests/unit/director/nft/plan_fixtures.h"

namespace ha::director::nft {
namespace {

using testing::expectGolden;

using testing::ip;

Endpoint r1{ip("198.51.100.11"), 80}, r2{ip("198.51.100.12"), 80};

// samplePlan plus: a NAT group of three VIP:ports and a mark, an FNAT fwmark service whose reals
// keep the packet's port, and a DR group of two VIPs.
ForwardingPlan groupPlan() {
  ForwardingPlan plan = testing::samplePlan();
  auto group = testing::service(6, Protocol::kTcp, "0.0.0.0", 0, ForwardMode::kNat, "rr",
                                SlotPick::kRotation, {r1, r2});
  group.key.group = "web";
  group.groupAddresses = {
      {ip("192.0.2.110"), 80}, {ip("192.0.2.111"), 80}, {ip("192.0.2.120"), 8080}};
  group.groupFwmarks = {7};
  plan.services[6] = group;
  Endpoint k1{ip("198.51.100.11"), 0}, k2{ip("198.51.100.12"), 0};
  auto mark = testing::service(7, Protocol::kTcp, "0.0.0.0", 0, ForwardMode::kFullNat, "rr",
                               SlotPick::kRotation, {k1, k2});
  mark.key.fwmark = 5;
  mark.laddrGroupId = 1;
  plan.services[7] = mark;
  auto dr = testing::service(8, Protocol::kTcp, "0.0.0.0", 0, ForwardMode::kDr, "sh",
                             SlotPick::kFlowHash, {r1, r2});
  dr.key.group = "drweb";
  dr.groupAddresses = {{ip("192.0.2.130"), 80}, {ip("192.0.2.131"), 80}};
  dr.ingressDevice = "lan0";
  plan.services[8] = dr;
  return plan;
}

// The whole ruleset with groups and marks, as the kernel holds it after the first apply.
TEST(GroupRender, MatchesGoldenDump) {
  FakeNftWriter fake;
  auto desired = render(groupPlan());
  ASSERT_TRUE(fake.commit(replaceAll(desired, {inetTable(), netdevTable()})).ok());
  EXPECT_EQ(fake.state(), desired);
  expectGolden(fake.dump(), "group_plan.golden");
}

// Every member key and mark leads to the group's one mark; the fwmark service's class chain
// takes the ct mark from the packet mark and keeps the packet's port.
TEST(GroupRender, MembersShareOneServiceMark) {
  auto state = render(groupPlan());
  const auto& t = state.tables.at(inetTable());
  const auto mark6 = KeyBuilder().hostU32(serviceMark(6)).take();
  for (const char* vip : {"192.0.2.110", "192.0.2.111"}) {
    EXPECT_EQ(
        std::get<Bytes>(t.elements.at("marks4").at(serviceKey({Protocol::kTcp, ip(vip), 80}))),
        mark6);
  }
  EXPECT_EQ(std::get<Bytes>(t.elements.at("fwmark_marks4").at(KeyBuilder().hostU32(7).take())),
            mark6);
  EXPECT_EQ(std::get<Verdict>(t.elements.at("fwmarks4").at(fwmarkKey(Protocol::kUdp, 5))).chain,
            "dnat4_rot2_fwm_keepport");
  EXPECT_EQ(std::get<Verdict>(t.elements.at("fwmarks4").at(fwmarkKey(Protocol::kTcp, 7))).chain,
            "dnat4_rot2_fwm");
  EXPECT_EQ(
      std::get<Verdict>(
          t.elements.at("services4").at(serviceKey({Protocol::kTcp, ip("192.0.2.120"), 8080})))
          .chain,
      "dnat4_rot2");
  // Slots once per service, not per member.
  size_t slots6 = 0;
  for (const auto& [key, data] : t.elements.at("backends4")) {
    if (Bytes(key.begin(), key.begin() + 4) == mark6) ++slots6;
  }
  EXPECT_EQ(slots6, 2u);
}

// A health flip of a group or a mark service patches exactly as a full render + diff, and touches
// map elements only.
TEST(GroupRender, HealthFlipPatchEqualsFullRenderAndEditsElementsOnly) {
  struct Flip {
    const char* what;
    std::function<void(ForwardingPlan&)> apply;
  };
  std::vector<Flip> flips = {
      {"group real down, same modulus",
       [](ForwardingPlan& p) {
         p.services[6].slots = {r1, r1};
       }},
      {"group loses every real", [](ForwardingPlan& p) { p.services[6].slots.clear(); }},
      {"mark service real down",
       [](ForwardingPlan& p) { p.services[7].slots = {p.services[7].slots[0]}; }},
      {"DR group real down",
       [](ForwardingPlan& p) {
         p.services[8].slots = {r2, r2};
       }},
      {"group removed", [](ForwardingPlan& p) { p.services.erase(6); }},
  };
  for (const auto& f : flips) {
    SCOPED_TRACE(f.what);
    for (bool forward : {true, false}) {
      auto before = groupPlan(), after = before;
      f.apply(after);
      if (!forward) std::swap(before, after);
      ASSERT_TRUE(canPatch(before, after));
      NftState installed = render(before);
      Transaction tx = patchServices(installed, before, after, changedServices(before, after));
      EXPECT_EQ(installed, render(after)) << toText(tx);
      FakeNftWriter fake;
      ASSERT_TRUE(fake.commit(replaceAll(render(before), {inetTable(), netdevTable()})).ok());
      auto st = fake.commit(tx);
      ASSERT_TRUE(st.ok()) << st.error() << "\n" << toText(tx);
      EXPECT_EQ(fake.state(), render(after));
    }
  }
  auto before = groupPlan(), after = before;
  after.services[6].slots = {r2, r2};
  NftState installed = render(before);
  for (const auto& op :
       patchServices(installed, before, after, changedServices(before, after)).ops) {
    EXPECT_TRUE(std::holds_alternative<AddElements>(op) ||
                std::holds_alternative<DeleteElements>(op));
  }
}

}  // namespace
}  // namespace ha::director::nft
