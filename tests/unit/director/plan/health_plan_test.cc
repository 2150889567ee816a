// How health verdicts shape the plan: failed reals leave the slots, inhibited ones stay listed at
// weight 0, misc_dynamic weights count, and a lost quorum hands new flows to the sorry server.
#include <gtest/gtest.h>

#include <algorithm>

#include "director/plan/forwarding_plan.h"

namespace ha::director {
namespace {

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

RealServerConfig real(const char* address, uint32_t weight) {
  RealServerConfig r;
  r.where = {"test.conf", 5};
  r.address = ip(address);
  r.port = 80;
  r.weight = weight;
  return r;
}

Config natConfig(const char* scheduler = "wrr") {
  Config c;
  VirtualServerConfig vs;
  vs.where = {"test.conf", 1};
  vs.vip = ip("192.0.2.1");
  vs.port = 80;
  vs.scheduler = scheduler;
  vs.reals = {real("198.51.100.11", 2), real("198.51.100.12", 1), real("198.51.100.13", 1)};
  c.virtualServers.push_back(vs);
  return c;
}

const ServiceKey kKey{Protocol::kTcp, ip("192.0.2.1"), 80};

ServicePlan planWith(const Config& c, const HealthInputs* health) {
  PlanInputs in;
  in.config = &c;
  in.serviceIds = assignServiceIds({}, c);
  in.health = health;
  auto plan = buildPlan(in);
  EXPECT_TRUE(plan.ok()) << (plan.ok() ? "" : plan.error());
  return plan.value().services.begin()->second;
}

size_t slotsOf(const ServicePlan& sp, const char* address) {
  return static_cast<size_t>(std::count(sp.slots.begin(), sp.slots.end(), Endpoint{ip(address), 80}));
}

// A real that failed its checks leaves every slot; the others keep their weights.
TEST(HealthPlan, FailedRealLeavesTheSlots) {
  auto c = natConfig();
  HealthInputs health;
  health.reals[{kKey, {ip("198.51.100.12"), 80}}] = {false, std::nullopt, "TCP_CHECK: connect-refused"};
  auto sp = planWith(c, &health);
  EXPECT_EQ(slotsOf(sp, "198.51.100.12"), 0u);
  EXPECT_EQ(slotsOf(sp, "198.51.100.11"), 2u);
  EXPECT_EQ(slotsOf(sp, "198.51.100.13"), 1u);
  EXPECT_FALSE(sp.reals[1].healthy);
  EXPECT_FALSE(sp.reals[1].inRotation);
  EXPECT_EQ(sp.reals[1].healthReason, "TCP_CHECK: connect-refused");
  EXPECT_EQ(sp.reals[1].weight, 1u) << "without inhibit_on_failure the weight is not rewritten";
}

// inhibit_on_failure: the failed real is listed at weight 0 (no new flows) instead of removed.
TEST(HealthPlan, InhibitedRealGoesToWeightZero) {
  auto c = natConfig();
  c.virtualServers[0].reals[0].inhibitOnFailure = true;
  HealthInputs health;
  health.reals[{kKey, {ip("198.51.100.11"), 80}}] = {false, std::nullopt, "down"};
  auto sp = planWith(c, &health);
  EXPECT_EQ(sp.reals[0].weight, 0u);
  EXPECT_EQ(sp.reals[0].configuredWeight, 2u);
  EXPECT_TRUE(sp.reals[0].inhibitOnFailure);
  EXPECT_EQ(slotsOf(sp, "198.51.100.11"), 0u);
}

// A MISC_CHECK dynamic weight replaces the configured weight in the scheduler.
TEST(HealthPlan, DynamicWeightDrivesTheScheduler) {
  auto c = natConfig();
  HealthInputs health;
  health.reals[{kKey, {ip("198.51.100.13"), 80}}] = {true, 5u, ""};
  auto sp = planWith(c, &health);
  EXPECT_EQ(sp.reals[2].weight, 5u);
  EXPECT_EQ(slotsOf(sp, "198.51.100.13"), 5u);
  health.reals[{kKey, {ip("198.51.100.13"), 80}}] = {true, 0u, ""};
  sp = planWith(c, &health);
  EXPECT_EQ(slotsOf(sp, "198.51.100.13"), 0u) << "dynamic weight 0 drains the real";
}

// With the quorum lost and a sorry server configured, the sorry server is the only slot; without
// a sorry server the surviving reals keep serving (keepalived).
TEST(HealthPlan, SorryServerTakesOverWhenTheQuorumIsLost) {
  auto c = natConfig("rr");
  c.virtualServers[0].sorryServer = SorryServerConfig{{"test.conf", 9}, ip("203.0.113.50"), 8080, false};
  HealthInputs health;
  for (const char* a : {"198.51.100.11", "198.51.100.12", "198.51.100.13"}) {
    health.reals[{kKey, {ip(a), 80}}] = {false, std::nullopt, "down"};
  }
  health.quorumLost.insert(kKey);
  auto sp = planWith(c, &health);
  EXPECT_TRUE(sp.sorryActive);
  EXPECT_FALSE(sp.quorumUp);
  ASSERT_EQ(sp.slots.size(), 1u);
  EXPECT_EQ(sp.slots[0], (Endpoint{ip("203.0.113.50"), 8080}));

  // Quorum 3 lost with two reals still up: the sorry server takes over, the live reals leave.
  health.reals.clear();
  health.reals[{kKey, {ip("198.51.100.12"), 80}}] = {false, std::nullopt, "down"};
  sp = planWith(c, &health);
  ASSERT_EQ(sp.slots.size(), 1u);
  EXPECT_FALSE(sp.reals[0].inRotation);
  EXPECT_TRUE(sp.reals[0].healthy);

  c.virtualServers[0].sorryServer.reset();
  sp = planWith(c, &health);
  EXPECT_FALSE(sp.sorryActive);
  EXPECT_EQ(slotsOf(sp, "198.51.100.11") + slotsOf(sp, "198.51.100.13"), sp.slots.size());
  EXPECT_EQ(sp.slots.size(), 2u);
}

// Re-planning one service from the same inputs gives exactly what a full build gives.
TEST(HealthPlan, ReplanMatchesAFullBuild) {
  auto c = natConfig("mh");
  HealthInputs health;
  PlanInputs in;
  in.config = &c;
  in.serviceIds = assignServiceIds({}, c);
  in.health = &health;
  auto plan = buildPlan(in).value();
  health.reals[{kKey, {ip("198.51.100.11"), 80}}] = {false, std::nullopt, "down"};
  auto full = buildPlan(in).value().services.begin()->second;
  auto one = replanService(c, &health, plan, c.virtualServers[0], plan.services.begin()->first);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->slots, full.slots);
  EXPECT_EQ(one->reals.size(), full.reals.size());
  EXPECT_FALSE(one->reals[0].healthy);
}

}  // namespace
}  // namespace ha::director
