// Routes and rules in the ownership ledger: their canonical text round-trips, the journal replays
// them, a start decides each listed one, and RecordingRoutingOwner keeps the ledger in step with
// what it installs, never claiming what someone else put in the kernel first.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/netlink/routing_entry.h"
#include "common/ownership/ledger.h"
#include "common/ownership/ownership_ledger.h"
#include "common/ownership/recording_routing_owner.h"
#include "tests/fakes/fake_routing_owner.h"

namespace ha {
namespace {

RouteSpec route(const char* dst) {
  RouteSpec r;
  r.dst = *IpPrefix::parse(dst);
  r.via = IpAddress::parse(r.dst.address.isV4() ? "192.0.2.1" : "fd00::1");
  r.dev = "lan0";
  r.table = 100;
  return r;
}

RouteSpec full() {
  RouteSpec r = route("198.51.100.0/24");
  r.src = IpAddress::parse("192.0.2.100");
  r.onlink = true;
  r.metric = 7;
  r.protocol = 12;
  r.scope = 200;
  r.tos = 16;
  r.mode = RouteAddMode::kAppend;
  return r;
}

RuleSpec rule(const char* from, uint32_t priority) {
  RuleSpec r;
  r.from = IpPrefix::parse(from);
  r.family = r.from->address.family();
  r.priority = priority;
  r.table = 100;
  return r;
}

// Every field of a route and a rule survives describe() -> parseRoutingEntry().
TEST(RoutingEntry, CanonicalTextRoundTrips) {
  RuleSpec fancy = rule("fd00:2::/64", 5);
  fancy.to = IpPrefix::parse("fd00:3::/64");
  fancy.iif = "lan0";
  fancy.oif = "lan1";
  fancy.fwmark = 0x42;
  fancy.fwmask = 0xff;
  fancy.protocol = 4;
  RuleSpec hole = rule("192.0.2.0/24", 6);
  hole.action = RuleAction::kProhibit;
  RouteSpec v6 = route("fd00:9::/64");
  v6.from = IpPrefix::parse("fd00:1::/64");
  RouteSpec black;
  black.type = RouteType::kUnreachable;
  black.dst = *IpPrefix::parse("10.0.0.0/8");
  for (const RoutingEntry& e : {RoutingEntry{full()}, RoutingEntry{v6}, RoutingEntry{black},
                                RoutingEntry{fancy}, RoutingEntry{hole}}) {
    auto back = parseRoutingEntry(describe(e));
    ASSERT_TRUE(back) << describe(e) << ": " << back.error();
    EXPECT_EQ(*back, e) << describe(e);
  }
  EXPECT_EQ(describe(full()),
            "route unicast 198.51.100.0/24 src 192.0.2.100 via 192.0.2.1 dev lan0 onlink table 100 "
            "metric 7 "
            "proto 12 scope 200 tos 16 mode append");
}

// Text that is not describe()'s is refused with the word at fault.
TEST(RoutingEntry, BadTextIsRefused) {
  EXPECT_FALSE(parseRoutingEntry(""));
  EXPECT_NE(parseRoutingEntry("nexthop x").error().find("bad routing entry kind 'nexthop'"),
            std::string::npos);
  EXPECT_FALSE(
      parseRoutingEntry("route unicast 10.0.0.0/8 table 1"));  // proto, scope, tos, mode missing
  EXPECT_NE(parseRoutingEntry("route unicast 10.0.0.0/8 table x proto 1 scope 0 tos 0 mode add")
                .error()
                .find("bad route table 'x'"),
            std::string::npos);
  EXPECT_NE(
      parseRoutingEntry("route unicast 10.0.0.0/8 mtu 5").error().find("bad route word 'mtu'"),
      std::string::npos);
  EXPECT_FALSE(parseRoutingEntry("rule inet from 10.0.0.0/8 priority 1 proto 18"));  // no action
  EXPECT_FALSE(parseRoutingEntry("rule inet proto 300 priority 1 action table table 1"));
}

// Routing lines are journaled like addresses: recorded, forgotten, kept across encode/decode.
TEST(RoutingLedger, JournalReplaysRoutesAndRules) {
  Ledger l;
  l.bootId = "b";
  recordRouting(l, route("203.0.113.0/26"), AddressRole::kStatic);
  recordRouting(l, rule("192.0.2.0/24", 1000), AddressRole::kVrrp);
  EXPECT_FALSE(recordRouting(l, route("203.0.113.0/26"), AddressRole::kStatic));  // once
  std::string text = encodeLedger(l);
  auto back = decodeLedger(text);
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(*back, l);
  text += routingLine({full(), AddressRole::kStatic});
  text += forgetRoutingLine(route("203.0.113.0/26"));
  back = decodeLedger(text);
  ASSERT_TRUE(back) << back.error();
  ASSERT_EQ(back->routing.size(), 2u);
  EXPECT_EQ(back->routing[0].entry, RoutingEntry{rule("192.0.2.0/24", 1000)});
  EXPECT_EQ(back->routing[0].role, AddressRole::kVrrp);
  EXPECT_EQ(back->routing[1].entry, RoutingEntry{full()});
  auto broken = decodeLedger(encodeLedger(l) + "routing route unicast 10.0.0.0/8 role static\n");
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().find(": routing: route: table, proto, scope, tos and mode are required"),
            std::string::npos)
      << broken.error();
  EXPECT_FALSE(decodeLedger(encodeLedger(l) + "routing " + describe(route("10.0.0.0/8")) +
                            " role nobody\n"));
}

// At start: still static -> adopted, still some instance's -> left to VRRP, else removed.
TEST(RoutingLedger, PlanReclaimDecidesEachEntry) {
  Ledger l;
  recordRouting(l, route("10.1.0.0/16"), AddressRole::kStatic);
  recordRouting(l, route("10.2.0.0/16"), AddressRole::kVrrp);
  recordRouting(l, rule("10.3.0.0/16", 7), AddressRole::kStatic);
  recordRouting(l, route("10.4.0.0/16"), AddressRole::kVrrp);  // now a static one
  WantedAddresses wanted;
  wanted.staticRouting = {route("10.1.0.0/16"), route("10.4.0.0/16")};
  wanted.vrrpRouting = {route("10.2.0.0/16")};
  auto plan = planReclaim(l, {}, wanted);
  EXPECT_EQ(plan.adoptRouting,
            (std::vector<RoutingEntry>{route("10.1.0.0/16"), route("10.4.0.0/16")}));
  EXPECT_EQ(plan.routingToVrrp, (std::vector<RoutingEntry>{route("10.2.0.0/16")}));
  EXPECT_EQ(plan.removeRouting, (std::vector<RoutingEntry>{rule("10.3.0.0/16", 7)}));
}

struct Rig {
  test::FakeRoutingTable kernel;
  std::shared_ptr<OwnershipLedger> ledger = std::make_shared<OwnershipLedger>(Ledger{}, nullptr);
  RecordingRoutingOwner owner{std::make_unique<test::FakeRoutingOwner>(kernel), ledger,
                              AddressRole::kStatic};
};

// Recorded before it is installed, forgotten once removed; a removal leaves the ledger empty.
TEST(RecordingRoutingOwner, RecordsWhatItInstalls) {
  Rig rig;
  auto added = rig.owner.add(route("10.0.0.0/8"));
  ASSERT_TRUE(added);
  EXPECT_EQ(*added, RoutingOwner::Added::kInstalled);
  EXPECT_TRUE(rig.ledger->listsRouting(route("10.0.0.0/8")));
  EXPECT_TRUE(rig.kernel.has(route("10.0.0.0/8")));
  ASSERT_TRUE(rig.owner.remove(route("10.0.0.0/8")));
  EXPECT_FALSE(rig.kernel.has(route("10.0.0.0/8")));
  EXPECT_TRUE(rig.ledger->snapshot().empty());
}

// An identical route someone else added first is found present: not recorded, never removed.
TEST(RecordingRoutingOwner, SomeoneElsesRouteIsLeftAlone) {
  Rig rig;
  rig.kernel.put(route("10.0.0.0/8"));
  auto added = rig.owner.add(route("10.0.0.0/8"));
  ASSERT_TRUE(added);
  EXPECT_EQ(*added, RoutingOwner::Added::kFoundPresent);
  EXPECT_FALSE(rig.ledger->listsRouting(route("10.0.0.0/8")));
  ASSERT_TRUE(rig.owner.remove(route("10.0.0.0/8")));
  EXPECT_TRUE(rig.kernel.has(route("10.0.0.0/8")));
  EXPECT_TRUE(rig.kernel.changes.empty());
}

// A predecessor's route (listed, present) is ours: add() claims it, remove() takes it away, and
// a listed one this process never added is removed too (a backup must not hold it).
TEST(RecordingRoutingOwner, PredecessorsRoutesAreOurs) {
  Rig rig;
  rig.kernel.put(route("10.0.0.0/8"));
  rig.kernel.put(route("10.9.0.0/16"));
  rig.ledger->recordRouting(route("10.0.0.0/8"), AddressRole::kStatic);
  rig.ledger->recordRouting(route("10.9.0.0/16"), AddressRole::kVrrp);
  auto added = rig.owner.add(route("10.0.0.0/8"));
  ASSERT_TRUE(added);
  EXPECT_EQ(*added, RoutingOwner::Added::kInstalled);
  EXPECT_TRUE(rig.owner.owns(route("10.0.0.0/8")));
  ASSERT_TRUE(rig.owner.remove(route("10.9.0.0/16")));
  EXPECT_FALSE(rig.kernel.has(route("10.9.0.0/16")));
  ASSERT_TRUE(rig.owner.remove(route("10.0.0.0/8")));
  EXPECT_FALSE(rig.kernel.has(route("10.0.0.0/8")));
  EXPECT_TRUE(rig.ledger->snapshot().empty());
}

// A route the kernel refuses (no such device) is neither installed nor left listed.
TEST(RecordingRoutingOwner, RefusedRouteIsNotListed) {
  Rig rig;
  RouteSpec r = route("10.0.0.0/8");
  r.dev = "lan9";
  auto added = rig.owner.add(r);
  ASSERT_FALSE(added);
  EXPECT_NE(added.error().find("No such device"), std::string::npos);
  EXPECT_FALSE(rig.ledger->listsRouting(r));
}

}  // namespace
}  // namespace ha
