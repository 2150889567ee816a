#include "director/plan/forwarding_plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "director/plan/flow_oracle.h"
#include "director/sched/maglev.h"

namespace ha::director {
namespace {

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

VirtualServerConfig vs(const char* vip, uint16_t port, ForwardMode mode, const char* sched,
                       std::vector<std::pair<const char*, uint32_t>> reals, int line) {
  VirtualServerConfig v;
  v.where = {"test.conf", line};
  v.vip = ip(vip);
  v.port = port;
  v.mode = mode;
  v.scheduler = sched;
  for (auto [addr, weight] : reals) {
    RealServerConfig real;
    real.where = {"test.conf", line + 1};
    real.address = ip(addr);
    real.port = port;
    real.weight = weight;
    v.reals.push_back(real);
  }
  return v;
}

Config sampleConfig() {
  Config c;
  c.globals.hashSeed = 0x1234abcd;
  c.laddrGroups["LAG"] = {{"test.conf", 1}, "LAG", {ip("198.51.100.200"), ip("198.51.100.201")}};
  auto fnat = vs("192.0.2.100", 80, ForwardMode::kFullNat, "wrr",
                 {{"198.51.100.11", 3}, {"198.51.100.12", 2}, {"198.51.100.13", 1}}, 10);
  fnat.laddrGroup = "LAG";
  c.virtualServers.push_back(fnat);
  c.virtualServers.push_back(vs("192.0.2.102", 80, ForwardMode::kDr, "mh",
                                {{"198.51.100.11", 1}, {"198.51.100.12", 1}, {"198.51.100.13", 1}}, 20));
  c.staticAddresses.push_back({{"test.conf", 30}, *IpPrefix::parse("192.0.2.102/32"), "lan0", ""});
  return c;
}

ForwardingPlan planOf(const Config& c, std::map<ServiceKey, uint32_t> previous = {}) {
  PlanInputs in;
  in.config = &c;
  in.serviceIds = assignServiceIds(previous, c);
  in.ifindexes["lan0"] = 3;
  auto p = buildPlan(in);
  EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error());
  return p.value();
}

// A service keeps its id across reloads; a new service takes the lowest free id, never 0.
TEST(ServiceIds, StableAcrossReloads) {
  auto c = sampleConfig();
  auto first = assignServiceIds({}, c);
  EXPECT_EQ(first.at(serviceKeyOf(c.virtualServers[0])), 1u);
  EXPECT_EQ(first.at(serviceKeyOf(c.virtualServers[1])), 2u);
  auto c2 = c;
  c2.virtualServers.erase(c2.virtualServers.begin());
  c2.virtualServers.push_back(vs("192.0.2.103", 80, ForwardMode::kNat, "rr", {{"198.51.100.11", 1}}, 40));
  auto second = assignServiceIds(first, c2);
  EXPECT_EQ(second.at(serviceKeyOf(c.virtualServers[1])), 2u);
  EXPECT_EQ(second.at(serviceKeyOf(c2.virtualServers[1])), 1u);
}

// wrr 3:2:1 gives one rotation of six slots in those proportions; drained reals leave it.
TEST(Plan, WeightsBecomeSlots) {
  auto c = sampleConfig();
  auto plan = planOf(c);
  const auto& s = plan.services.at(1);
  ASSERT_EQ(s.slots.size(), 6u);
  std::map<std::string, int> count;
  for (const auto& e : s.slots) ++count[e.address.str()];
  EXPECT_EQ(count["198.51.100.11"], 3);
  EXPECT_EQ(count["198.51.100.12"], 2);
  EXPECT_EQ(count["198.51.100.13"], 1);
  EXPECT_EQ(s.laddrGroupId, 1u);
  c.virtualServers[0].reals[2].weight = 0;
  auto drained = planOf(c).services.at(1);
  EXPECT_EQ(drained.slots.size(), 5u);
  EXPECT_FALSE(drained.reals[2].inRotation);
  EXPECT_EQ(drained.reals.size(), 3u) << "a drained real is still listed";
}

// DR finds its device through the static address that holds the VIP.
TEST(Plan, DrUsesTheDeviceHoldingTheVip) {
  auto plan = planOf(sampleConfig());
  EXPECT_EQ(plan.services.at(2).ingressDevice, "lan0");
  EXPECT_EQ(plan.drDevices.at("lan0"), 3u);
  EXPECT_EQ(plan.services.at(2).slots.size(), kDefaultMaglevTableSize);
}

// A DR device that does not exist refuses the whole plan, naming the device and file:line.
TEST(Plan, UnknownDrDeviceIsRefused) {
  auto c = sampleConfig();
  PlanInputs in;
  in.config = &c;
  in.serviceIds = assignServiceIds({}, c);
  auto p = buildPlan(in);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().find("test.conf:20"), std::string::npos) << p.error();
  EXPECT_NE(p.error().find("lan0"), std::string::npos) << p.error();
}

// Two directors with the same config (reals listed in another order) pick the same real per flow.
TEST(FlowOracle, SameConfigSameAnswerOnEveryDirector) {
  auto a = sampleConfig();
  auto b = sampleConfig();
  std::reverse(b.virtualServers[1].reals.begin(), b.virtualServers[1].reals.end());
  auto pa = planOf(a), pb = planOf(b);
  std::map<std::string, int> spread;
  for (uint16_t port = 40000; port < 40200; ++port) {
    FlowQuery q{Protocol::kTcp, ip("203.0.113.10"), port, ip("192.0.2.102"), 80};
    q.source = ip(("203.0.113." + std::to_string(port % 250 + 1)).c_str());
    auto ra = lookupFlow(pa, q), rb = lookupFlow(pb, q);
    ASSERT_TRUE(ra.deterministic && ra.real && rb.real);
    EXPECT_EQ(*ra.real, *rb.real);
    ++spread[ra.real->address.str()];
  }
  EXPECT_EQ(spread.size(), 3u) << "200 clients all hashed to fewer than 3 reals";
}

// A different seed moves flows: the seed really is part of the hash.
TEST(FlowOracle, SeedChangesPlacement) {
  auto a = sampleConfig();
  auto b = sampleConfig();
  b.globals.hashSeed = 0x99;
  auto pa = planOf(a), pb = planOf(b);
  int differ = 0;
  for (int i = 1; i <= 100; ++i) {
    FlowQuery q{Protocol::kTcp, ip(("203.0.113." + std::to_string(i)).c_str()), 1000, ip("192.0.2.102"), 80};
    differ += *lookupFlow(pa, q).real != *lookupFlow(pb, q).real ? 1 : 0;
  }
  EXPECT_GT(differ, 30);
}

// Rotation schedulers name their candidates instead of pretending to know the counter.
TEST(FlowOracle, RotationListsCandidates) {
  auto plan = planOf(sampleConfig());
  auto r = lookupFlow(plan, {Protocol::kTcp, ip("203.0.113.10"), 1234, ip("192.0.2.100"), 80});
  ASSERT_TRUE(r.service);
  EXPECT_FALSE(r.deterministic);
  EXPECT_EQ(r.candidates.size(), 6u);
  auto none = lookupFlow(plan, {Protocol::kUdp, ip("203.0.113.10"), 1234, ip("192.0.2.100"), 80});
  EXPECT_FALSE(none.service);
}

// With sh-port, flows from one client spread over reals; without it, one client sticks to one.
TEST(FlowOracle, HashPortFlag) {
  auto c = sampleConfig();
  auto plan = planOf(c);
  std::set<std::string> reals;
  for (uint16_t port = 1000; port < 1100; ++port) {
    reals.insert(lookupFlow(plan, {Protocol::kTcp, ip("203.0.113.10"), port, ip("192.0.2.102"), 80})
                     .real->str());
  }
  EXPECT_EQ(reals.size(), 1u);
  c.virtualServers[1].schedulerFlags.insert("mh-port");
  plan = planOf(c);
  reals.clear();
  for (uint16_t port = 1000; port < 1100; ++port) {
    reals.insert(lookupFlow(plan, {Protocol::kTcp, ip("203.0.113.10"), port, ip("192.0.2.102"), 80})
                     .real->str());
  }
  EXPECT_EQ(reals.size(), 3u);
}

}  // namespace
}  // namespace ha::director
