// virtual_routes / virtual_rules follow mastership: added after the addresses on MASTER, removed
// before them on leaving it, a route someone else added first left alone, a reload applying only
// the difference without restarting the instance.
#include <gtest/gtest.h>

#include "tests/unit/vrrp/router_rig.h"

namespace ha::vrrp::test_rig {
namespace {

RouteSpec route(const char* dst, const char* src = nullptr) {
  RouteSpec r;
  r.dst = prefix(dst);
  r.via = ip("192.0.2.254");
  r.dev = "lan0";
  r.table = 101;
  if (src != nullptr) r.src = ip(src);
  return r;
}

RuleSpec rule(uint32_t priority) {
  RuleSpec r;
  r.fwmark = 0x42;
  r.priority = priority;
  r.table = 101;
  return r;
}

InstanceConfig routed(uint8_t priority = 100) {
  InstanceConfig c = instance("VI_1", "lan0", 1, priority);
  c.routes = {route("203.0.113.128/26", "192.0.2.100"), route("198.18.0.0/15")};
  c.rules = {rule(1001)};
  return c;
}

class RouterRoutingTest : public RouterRig {
 protected:
  RouterRoutingTest() {
    // One log of kernel changes, addresses and routes together, to see their order.
    addresses.beforeKernelChange = [this](const char* op, const OwnedAddress& a) {
      routingKernel.changes.push_back(std::string(op) + " address " + a.prefix.str());
    };
  }
  bool hasAll(const InstanceConfig& c) const {
    for (const auto& r : c.routes) {
      if (!routingKernel.has(r)) return false;
    }
    for (const auto& r : c.rules) {
      if (!routingKernel.has(r)) return false;
    }
    return true;
  }
};

// A master adds its routes and rule after its address (a route may use the VIP as source); a
// backup holds none; leaving MASTER removes them before the address.
TEST_F(RouterRoutingTest, FollowMastership) {
  apply({routed()});
  EXPECT_EQ(state(), State::kBackup);
  EXPECT_TRUE(routingKernel.all().empty());
  routingKernel.changes.clear();  // the start-up purge of the address a predecessor may have left
  advanceTo(down(100));
  ASSERT_EQ(state(), State::kMaster);
  EXPECT_TRUE(hasAll(routed()));
  const auto& log = routingKernel.changes;
  ASSERT_GE(log.size(), 4u);
  EXPECT_EQ(log.front().substr(0, 11), "add address");
  EXPECT_EQ(log[1], "add " + describe(route("203.0.113.128/26", "192.0.2.100")));
  EXPECT_EQ(log.back(), "add " + describe(rule(1001)));
  routingKernel.changes.clear();
  hear(2, "192.0.2.9", advert(1, 200));  // a higher priority master: back to BACKUP
  ASSERT_EQ(state(), State::kBackup);
  EXPECT_TRUE(routingKernel.all().empty());
  ASSERT_EQ(routingKernel.changes.size(), 4u);
  EXPECT_EQ(routingKernel.changes.front(), "del " + describe(rule(1001)));  // reverse order
  EXPECT_EQ(routingKernel.changes.back().substr(0, 11), "del address");
}

// A route the kernel had before the instance became master is someone else's: left in place when
// the instance leaves MASTER, while its own are removed.
TEST_F(RouterRoutingTest, SomeoneElsesRouteStays) {
  routingKernel.put(route("198.18.0.0/15"));
  apply({routed()});
  advanceTo(down(100));
  ASSERT_EQ(state(), State::kMaster);
  EXPECT_FALSE(routing.owns(route("198.18.0.0/15")));
  router.shutdown();
  EXPECT_TRUE(routingKernel.has(route("198.18.0.0/15")));
  EXPECT_FALSE(routingKernel.has(route("203.0.113.128/26", "192.0.2.100")));
  EXPECT_FALSE(routingKernel.has(rule(1001)));
}

// A reload that changes only the routes keeps the instance (no transition) and, on a master,
// removes the dropped route and adds the new one; the unchanged ones are not touched.
TEST_F(RouterRoutingTest, ReloadAppliesTheDifference) {
  apply({routed()});
  advanceTo(down(100));
  ASSERT_EQ(state(), State::kMaster);
  const uint64_t transitions = status("VI_1").transitions;
  routingKernel.changes.clear();
  InstanceConfig next = routed();
  next.routes = {route("203.0.113.128/26", "192.0.2.100"), route("10.99.0.0/16")};
  apply({next});
  EXPECT_EQ(state(), State::kMaster);
  EXPECT_EQ(status("VI_1").transitions, transitions);
  EXPECT_EQ(routingKernel.changes,
            (std::vector<std::string>{"del " + describe(route("198.18.0.0/15")),
                                      "add " + describe(route("10.99.0.0/16"))}));
  EXPECT_TRUE(hasAll(next));
  // On a backup a reload changes nothing in the kernel; the new routes come with MASTER.
  router.shutdown();
  EXPECT_TRUE(routingKernel.all().empty());
}

// An instance whose route names a device that does not exist is refused with the reason, and
// nothing starts.
TEST_F(RouterRoutingTest, UnknownDeviceIsRefused) {
  InstanceConfig c = routed();
  c.routes[1].dev = "lan9";
  VrrpConfig config;
  config.instances = {c};
  auto st = router.apply(config);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().find("instance VI_1 not started: virtual_routes"), std::string::npos)
      << st.error();
  EXPECT_TRUE(router.snapshot().instances.empty());
}

}  // namespace
}  // namespace ha::vrrp::test_rig
