// FTP through NAT and FULLNAT: the `ct helper` object and the class-chain rule that hands new
// flows of a port-21 service to the kernel's FTP helper (render, diff, patch).
#include <gtest/gtest.h>
#include <linux/netfilter/nf_tables.h>

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

const Endpoint kReal1{ip("198.51.100.11"), 21}, kReal2{ip("198.51.100.12"), 21};

// NAT rr and FULLNAT persistent sh on port 21 (helper), NAT on 80 (none), IPv6 FULLNAT on 2121
// with ftp_helper on.
ForwardingPlan ftpPlan() {
  ForwardingPlan plan;
  plan.hashSeed = 0x1234abcd;
  plan.laddrGroups[1] = {1, "LAG4", {ip("198.51.100.200")}};
  plan.laddrGroups[2] = {2, "LAG6", {ip("fd00:1::200")}};
  auto nat = testing::service(1, Protocol::kTcp, "192.0.2.101", 21, ForwardMode::kNat, "rr",
                              SlotPick::kRotation, {kReal1, kReal2});
  nat.ftpHelper = true;
  plan.services[1] = nat;
  auto fnat = testing::service(2, Protocol::kTcp, "192.0.2.100", 21, ForwardMode::kFullNat, "sh",
                               SlotPick::kFlowHash, {kReal1, kReal2, kReal1, kReal2});
  fnat.ftpHelper = true;
  fnat.laddrGroupId = 1;
  fnat.persistenceTimeoutSec = 300;
  plan.services[2] = fnat;
  auto web =
      testing::service(3, Protocol::kTcp, "192.0.2.101", 80, ForwardMode::kNat, "rr",
                       SlotPick::kRotation, {{ip("198.51.100.11"), 80}, {ip("198.51.100.12"), 80}});
  plan.services[3] = web;
  auto v6 = testing::service(4, Protocol::kTcp, "fd00:2::100", 2121, ForwardMode::kFullNat, "rr",
                             SlotPick::kRotation, {{ip("fd00:1::11"), 2121}});
  v6.ftpHelper = true;
  v6.laddrGroupId = 2;
  plan.services[4] = v6;
  return plan;
}

size_t indexOf(const ChainDef& chain, const std::function<bool(const Expr&)>& match) {
  for (size_t i = 0; i < chain.rules.size(); ++i) {
    for (const auto& e : chain.rules[i].exprs) {
      if (match(e)) return i;
    }
  }
  return chain.rules.size();
}

// The ruleset of NAT and FULLNAT FTP services beside a plain one, as the kernel holds it.
TEST(FtpHelper, PlanMatchesGoldenDump) {
  FakeNftWriter fake;
  auto desired = render(ftpPlan());
  ASSERT_TRUE(fake.commit(replaceAll(desired, {inetTable(), netdevTable()})).ok());
  EXPECT_EQ(fake.state(), desired);
  expectGolden(fake.dump(), "ftp_helper.golden");
}

// Only FTP services' class chains set the helper, and before any dnat (the sequence-adjust
// extension nf_nat_ftp needs is added by NAT only to a flow that has its helper already).
TEST(FtpHelper, HelperIsSetBeforeEveryDnatOfFtpClassesOnly) {
  auto state = render(ftpPlan());
  const auto& inet = state.tables.at(inetTable());
  ASSERT_EQ(inet.objects.count(std::string(kFtpHelper)), 1u);
  const std::string helperName(kFtpHelper);
  EXPECT_EQ(inet.objects.at(helperName), (ObjectDef{helperName, CtHelperObject{"ftp", 6}}));
  auto isHelper = [](const Expr& e) {
    const auto* ref = std::get_if<Objref>(&e);
    return ref != nullptr && ref->type == NFT_OBJECT_CT_HELPER;
  };
  auto isDnat = [](const Expr& e) { return std::holds_alternative<Nat>(e); };
  int ftpChains = 0;
  for (const auto& [name, chain] : inet.chains) {
    if (name.rfind("dnat", 0) != 0) continue;
    bool ftp = name.find("_ftp") != std::string::npos;
    size_t helper = indexOf(chain, isHelper);
    if (!ftp) {
      EXPECT_EQ(helper, chain.rules.size()) << name << " is no FTP class";
      continue;
    }
    ++ftpChains;
    ASSERT_LT(helper, chain.rules.size()) << name;
    EXPECT_LT(helper, indexOf(chain, isDnat)) << name << ": helper after a dnat";
  }
  EXPECT_EQ(ftpChains, 3) << "NAT rr2, FULLNAT hash4 persistent, IPv6 rot1";
}

// The object follows the config, not health: all reals out keeps it; removing the last FTP
// service removes the rule first, then the object (the fake refuses deleting a used object).
TEST(FtpHelper, ObjectLivesWhileAServiceWantsIt) {
  auto plan = ftpPlan();
  FakeNftWriter fake;
  ASSERT_TRUE(fake.commit(replaceAll(render(plan), {inetTable()})).ok());

  auto down = plan;
  for (uint32_t id : {1u, 2u, 4u}) down.services[id].slots.clear();
  EXPECT_EQ(render(down).tables.at(inetTable()).objects.count(std::string(kFtpHelper)), 1u);

  auto noFtp = plan;
  for (uint32_t id : {1u, 2u, 4u}) noFtp.services.erase(id);
  auto tx = diff(render(plan), render(noFtp));
  ASSERT_TRUE(fake.commit(tx).ok()) << toText(tx);
  EXPECT_EQ(fake.state(), render(noFtp));
  for (const auto& [name, object] : fake.state().tables.at(inetTable()).objects)
    EXPECT_FALSE(std::holds_alternative<CtHelperObject>(object.body)) << name;

  tx = diff(render(noFtp), render(plan));  // and back: the object comes before the rule
  ASSERT_TRUE(fake.commit(tx).ok()) << toText(tx);
  EXPECT_EQ(fake.state(), render(plan));
}

// ftp_helper off on a port-21 service moves it to a class without the helper; a chain shared
// with no FTP service keeps no helper rule.
TEST(FtpHelper, TurningTheHelperOffChangesOnlyThatService) {
  auto before = ftpPlan();
  auto after = before;
  after.services[1].ftpHelper = false;
  auto changed = changedServices(before, after);
  EXPECT_EQ(changed, std::set<uint32_t>{1});
  auto tx = diff(render(before), render(after));
  FakeNftWriter fake;
  ASSERT_TRUE(fake.commit(replaceAll(render(before), {inetTable()})).ok());
  ASSERT_TRUE(fake.commit(tx).ok()) << toText(tx);
  const auto& chains = fake.state().tables.at(inetTable()).chains;
  EXPECT_EQ(chains.count("dnat4_rot2_ftp"), 0u) << "its only user left";
  EXPECT_EQ(chains.count("dnat4_rot2"), 1u);
}

// Patching only the changed services lands where render + diff would, in memory and in the
// (fake) kernel.
void expectPatchEqualsRender(const ForwardingPlan& before, const ForwardingPlan& after) {
  ASSERT_TRUE(canPatch(before, after));
  NftState installed = render(before);
  Transaction tx = patchServices(installed, before, after, changedServices(before, after));
  EXPECT_EQ(installed, render(after)) << toText(installed) << "---\n" << toText(render(after));
  FakeNftWriter fake;
  ASSERT_TRUE(fake.commit(replaceAll(render(before), {inetTable()})).ok());
  auto st = fake.commit(tx);
  ASSERT_TRUE(st.ok()) << st.error() << "\n" << toText(tx);
  EXPECT_EQ(fake.state(), render(after));
}

// Health flips of FTP services patch like any other; the first FTP service added (a runtime
// `-A` of a port-21 service) brings the object before its rule, the last one removed takes it.
TEST(FtpHelper, PatchMatchesRenderWhenTheObjectComesAndGoes) {
  auto plan = ftpPlan();
  auto flipped = plan;
  flipped.services[2].slots = {kReal1, kReal1, kReal1, kReal1};
  flipped.services[1].slots.clear();
  expectPatchEqualsRender(plan, flipped);

  auto noFtp = plan;
  for (uint32_t id : {1u, 2u, 4u}) noFtp.services.erase(id);
  expectPatchEqualsRender(plan, noFtp);
  expectPatchEqualsRender(noFtp, plan);

  auto offOne = plan;  // another FTP service still uses the object: it stays
  offOne.services[1].ftpHelper = false;
  expectPatchEqualsRender(plan, offOne);
  expectPatchEqualsRender(offOne, plan);
}

// A changed object definition (a new release) cannot be edited in place: the table is rebuilt.
TEST(FtpHelper, ChangedObjectDefinitionRebuildsTheTable) {
  auto from = render(ftpPlan());
  auto to = from;
  const std::string helperName(kFtpHelper);
  to.tables.at(inetTable()).objects[helperName] = ObjectDef{helperName, CtHelperObject{"ftp", 17}};
  auto tx = diff(from, to);
  ASSERT_FALSE(tx.ops.empty());
  EXPECT_TRUE(std::holds_alternative<DeleteTable>(tx.ops[0])) << toText(tx);
}

}  // namespace
}  // namespace ha::director::nft
