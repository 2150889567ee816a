// virtual_server group / fwmark in the plan: the expansion, one service per group, key
// resolution for admin requests, and the flow oracle (mark first, then VIP:port, as IPVS).
#include <gtest/gtest.h>

#include "director/plan/flow_oracle.h"
#include "director/plan/forwarding_plan.h"

namespace ha::director {
namespace {

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

RealServerConfig real(const char* address, uint16_t port) {
  RealServerConfig r;
  r.address = ip(address);
  r.port = port;
  return r;
}

Config groupConfig() {
  Config c;
  VirtualServerGroup g;
  g.name = "web";
  g.addresses = {{{"t.conf", 2}, ip("192.0.2.10"), 3, 80},
                 {{"t.conf", 3}, ip("192.0.2.20"), 1, 8080}};
  g.fwmarks = {{{"t.conf", 4}, 7}};
  c.serviceGroups["web"] = g;
  VirtualServerConfig group;
  group.where = {"t.conf", 6};
  group.group = "web";
  group.scheduler = "sh";
  group.reals = {real("198.51.100.11", 80), real("198.51.100.12", 80)};
  c.virtualServers.push_back(group);
  VirtualServerConfig mark;
  mark.where = {"t.conf", 12};
  mark.fwmark = 5;
  mark.scheduler = "sh";
  mark.reals = {real("198.51.100.21", 0)};
  c.virtualServers.push_back(mark);
  return c;
}

ForwardingPlan planOf(const Config& c) {
  PlanInputs in;
  in.config = &c;
  in.serviceIds = assignServiceIds({}, c);
  auto plan = buildPlan(in);
  EXPECT_TRUE(plan.ok()) << plan.error();
  return plan.value();
}

// A group is one service with its members expanded; an fwmark service is keyed by its mark.
TEST(GroupPlan, OneServicePerGroupWithItsExpansion) {
  auto plan = planOf(groupConfig());
  ASSERT_EQ(plan.services.size(), 2u);
  const auto& g = plan.services.at(1);
  EXPECT_EQ(g.key.str(), "TCP group web");
  ASSERT_EQ(g.groupAddresses.size(), 4u);
  EXPECT_EQ(g.groupAddresses[2], (Endpoint{ip("192.0.2.12"), 80}));
  EXPECT_EQ(selectorAddresses(g).size(), 4u);
  EXPECT_EQ(selectorMarks(g), std::vector<uint32_t>{7});
  EXPECT_FALSE(keepsPacketPort(g));
  const auto& m = plan.services.at(2);
  EXPECT_EQ(m.key.str(), "FWM 5");
  EXPECT_TRUE(selectorAddresses(m).empty());
  EXPECT_TRUE(keepsPacketPort(m));
}

// Admin requests: a member VIP:port or a group's mark names the group; -f MARK the mark service.
TEST(GroupPlan, ResolveServiceKey) {
  auto plan = planOf(groupConfig());
  const ServiceKey group = plan.services.at(1).key;
  EXPECT_EQ(resolveServiceKey(plan, {Protocol::kTcp, ip("192.0.2.11"), 80}), group);
  EXPECT_EQ(resolveServiceKey(plan, {Protocol::kTcp, {}, 0, 7}), group);
  EXPECT_EQ(resolveServiceKey(plan, {Protocol::kTcp, {}, 0, 5}), plan.services.at(2).key);
  ServiceKey unknown{Protocol::kUdp, ip("192.0.2.11"), 80};
  EXPECT_EQ(resolveServiceKey(plan, unknown), unknown);
}

// The oracle finds a group by any member and a marked packet by its mark first; a mark service's
// real receives the packet's own port.
TEST(GroupPlan, FlowOracle) {
  auto plan = planOf(groupConfig());
  FlowQuery q{Protocol::kTcp, ip("203.0.113.5"), 40000, ip("192.0.2.12"), 80};
  auto a = lookupFlow(plan, q);
  ASSERT_TRUE(a.service);
  EXPECT_EQ(a.service->group, "web");
  ASSERT_TRUE(a.real);
  q.vip = ip("192.0.2.13");
  EXPECT_FALSE(lookupFlow(plan, q).service) << "outside the range";
  q.vip = ip("192.0.2.10");
  q.vipPort = 443;
  q.fwmark = 5;
  a = lookupFlow(plan, q);
  ASSERT_TRUE(a.service);
  EXPECT_EQ(a.service->fwmark, 5u);
  EXPECT_EQ(a.real, (Endpoint{ip("198.51.100.21"), 443}));
  q.fwmark = 6;
  EXPECT_FALSE(lookupFlow(plan, q).service) << "a mark no service has, and no address service";
}

// DR cannot serve a mark: refused by the plan too (the config checker says it first).
TEST(GroupPlan, DrWithAMarkIsRefused) {
  auto c = groupConfig();
  c.virtualServers[0].mode = ForwardMode::kDr;
  PlanInputs in;
  in.config = &c;
  in.serviceIds = assignServiceIds({}, c);
  auto plan = buildPlan(in);
  ASSERT_FALSE(plan.ok());
  EXPECT_NE(plan.error().find("a packet mark cannot exist at ingress, where DR works"),
            std::string::npos);
}

}  // namespace
}  // namespace ha::director
