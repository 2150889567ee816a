// static_routes / static_rules and virtual_routes / virtual_rules: keepalived 2.2.7's grammar
// (vrrp_iproute.c alloc_route, vrrp_iprule.c alloc_rule), the common subset read fully and every
// other option refused at its line with the reason.
#include <gtest/gtest.h>

#include "director/config/iproute2_names.h"
#include "director/config/route_grammar.h"
#include "tests/unit/director/config/config_test_util.h"

namespace ha::director {
namespace {

using testing::hasError;
using testing::hasNoErrors;
using testing::hasWarning;
using testing::load;

IpPrefix prefix(const char* text) { return *IpPrefix::parse(text); }
IpAddress addr(const char* text) { return *IpAddress::parse(text); }

LoadResult routes(const std::string& lines) { return load("static_routes {\n" + lines + "}\n"); }
LoadResult rules(const std::string& lines) { return load("static_rules {\n" + lines + "}\n"); }

// Every supported route option lands in the spec; protocol defaults to keepalived's 18, the
// table to main, the add mode to keepalived's prepend.
TEST(ConfigRoutes, EverySupportedRouteOption) {
  auto r = routes(
      "  198.51.100.0/24 via 192.0.2.1 dev lan0 src 192.0.2.2 table 100 metric 7 proto bird scope "
      "global "
      "tos 0x10 onlink add no_track\n"
      "  to 203.0.113.0/24 dev lan0\n"
      "  blackhole 203.0.113.128/25 table main\n"
      "  unreachable 10.0.0.0/8 preference 5 append\n"
      "  prohibit 10.1.0.0/16 priority 6 protocol static\n"
      "  default via 192.0.2.254 table 200\n"
      "  inet6 default via fd00::1 dev lan0\n"
      "  fd00:9::/64 from fd00:1::/64 via fd00::1 metric 1024\n");
  ASSERT_TRUE(hasNoErrors(r));
  const auto& s = r.config.staticRoutes;
  ASSERT_EQ(s.size(), 8u);
  const RouteSpec& a = s[0].spec;
  EXPECT_EQ(a.dst, prefix("198.51.100.0/24"));
  EXPECT_EQ(a.via, addr("192.0.2.1"));
  EXPECT_EQ(a.dev, "lan0");
  EXPECT_EQ(a.src, addr("192.0.2.2"));
  EXPECT_EQ(a.table, 100u);
  EXPECT_EQ(a.metric, 7u);
  EXPECT_EQ(a.protocol, 12);
  EXPECT_EQ(a.scope, 0);
  EXPECT_EQ(a.tos, 0x10);
  EXPECT_TRUE(a.onlink);
  EXPECT_EQ(a.mode, RouteAddMode::kAdd);
  EXPECT_EQ(s[0].where.line, 2);
  // A gateway-less IPv4 route gets scope link, as `ip route add` gives it.
  EXPECT_EQ(s[1].spec.scope, kScopeLink);
  EXPECT_EQ(s[1].spec.protocol, kProtoKeepalived);
  EXPECT_EQ(s[1].spec.table, kTableMain);
  EXPECT_EQ(s[1].spec.mode, RouteAddMode::kPrepend);
  EXPECT_EQ(s[2].spec.type, RouteType::kBlackhole);
  EXPECT_EQ(s[2].spec.table, 254u);
  EXPECT_EQ(s[3].spec.type, RouteType::kUnreachable);
  EXPECT_EQ(s[3].spec.metric, 5u);
  EXPECT_EQ(s[3].spec.mode, RouteAddMode::kAppend);
  EXPECT_EQ(s[4].spec.type, RouteType::kProhibit);
  EXPECT_EQ(s[4].spec.protocol, 4);
  EXPECT_EQ(s[5].spec.dst, prefix("0.0.0.0/0"));
  EXPECT_EQ(s[5].spec.table, 200u);
  EXPECT_EQ(s[6].spec.dst, prefix("::/0"));
  EXPECT_EQ(s[6].spec.via, addr("fd00::1"));
  EXPECT_EQ(s[7].spec.from, prefix("fd00:1::/64"));
  EXPECT_EQ(s[7].spec.metric, 1024u);
}

// keepalived's documented example lines read as keepalived reads them: `src ... to ...`, `gw`
// (deprecated, warned) and a type before the destination.
TEST(ConfigRoutes, KeepalivedManPageLines) {
  auto r = load(
      "vrrp_instance VI_1 {\n"
      "  interface lan0\n"
      "  virtual_router_id 1\n"
      "  virtual_ipaddress {\n    192.0.2.100/24\n  }\n"
      "  virtual_routes {\n"
      "    src 192.0.2.100 to 192.168.109.0/24 via 192.0.2.254 dev lan0\n"  // 8
      "    192.168.111.0/24 dev lan1 no_track\n"
      "    blackhole 192.168.114.0/24\n"
      "    0.0.0.0/0 gw 192.168.0.1 table 100\n"  // 11
      "  }\n"
      "  virtual_rules {\n"
      "    from 192.168.2.0/24 table 1 priority 100\n"
      "    to 192.168.2.0/24 table 1 no_track priority 101\n"
      "  }\n"
      "}\n");
  ASSERT_TRUE(hasNoErrors(r));
  EXPECT_TRUE(hasWarning(r, 11, "'gw' is deprecated"));
  // Routes with a device and no no_track are what keepalived would watch: said once per block.
  EXPECT_TRUE(
      hasWarning(r, 7, "virtual_routes: keepalived watches routes and rules with a device"));
  ASSERT_EQ(r.config.vrrp.instances.size(), 1u);
  const auto& inst = r.config.vrrp.instances[0];
  ASSERT_EQ(inst.routes.size(), 4u);
  EXPECT_EQ(inst.routes[0].src, addr("192.0.2.100"));
  EXPECT_EQ(inst.routes[0].dst, prefix("192.168.109.0/24"));
  EXPECT_EQ(inst.routes[2].type, RouteType::kBlackhole);
  EXPECT_EQ(inst.routes[3].table, 100u);
  ASSERT_EQ(inst.rules.size(), 2u);
  EXPECT_EQ(inst.rules[1].to, prefix("192.168.2.0/24"));
  EXPECT_EQ(inst.rules[1].priority, 101u);
}

// Options keepalived knows and directord does not install are errors naming them and the subset;
// the route is then not in the config at all (and a config with errors is never applied).
TEST(ConfigRoutes, UnsupportedOptionsAreErrors) {
  auto r = routes(
      "  10.0.0.0/24 via 192.0.2.1 mtu 1400\n"                       // 2
      "  10.0.1.0/24 via 192.0.2.1 or 192.0.2.2\n"                   // 3
      "  10.0.2.0/24 nexthop via 192.0.2.1 nexthop via 192.0.2.2\n"  // 4
      "  10.0.3.0/24 via 192.0.2.1 track_group G\n"                  // 5
      "  local 10.0.4.0/24 dev lan0\n"                               // 6
      "  10.0.5.0/24 via 192.0.2.1 vrf blue\n"                       // 7
      "  10.0.6.0/24 via 192.0.2.1 encap mpls 100\n"                 // 8
      "  throw 10.0.7.0/24\n");                                      // 9
  EXPECT_TRUE(hasError(r, 2, "route option 'mtu' not supported (directord installs dest, src"));
  EXPECT_TRUE(hasError(r, 3, "multipath routes ('or') not supported"));
  EXPECT_TRUE(hasError(r, 4, "multipath routes ('nexthop') not supported"));
  EXPECT_TRUE(hasError(r, 5, "track_group not supported: directord builds no static_track_group"));
  EXPECT_TRUE(hasError(r, 6, "route type 'local' not supported"));
  EXPECT_TRUE(hasError(r, 7, "vrf not supported"));
  EXPECT_TRUE(hasError(r, 8, "route option 'encap' not supported"));
  EXPECT_TRUE(hasError(r, 9, "route type 'throw' not supported"));
  EXPECT_TRUE(r.config.staticRoutes.empty());
  EXPECT_TRUE(r.hasErrors());
}

// Bad values and inconsistent lines: each error names the line, the word and why.
TEST(ConfigRoutes, BadRoutesAreErrors) {
  auto r = routes(
      "  10.0.0.0/24 via 192.0.2.1 table nosuchtable\n"  // 2
      "  10.0.0.0/24 via 192.0.2.1 table 0\n"            // 3
      "  10.0.0.0/24 via 192.0.2.1 proto nosuch\n"       // 4
      "  10.0.0.0/24 via fd00::1\n"                      // 5
      "  10.0.0.1/24 via 192.0.2.1\n"                    // 6
      "  10.0.0.0/24\n"                                  // 7
      "  blackhole 10.0.0.0/24 dev lan0\n"               // 8
      "  via 192.0.2.1\n"                                // 9
      "  10.0.0.0/24 dev lan0 onlink\n"                  // 10
      "  10.0.0.0/24 from 192.0.2.0/24 via 192.0.2.1\n"  // 11
      "  10.0.0.0/24 via 192.0.2.1 metric\n"             // 12
      "  10.0.0.0/24 via 192.0.2.1 metric 4294967296\n"  // 13
      "  fd00::/64 dev lan0 tos 4\n"                     // 14
      "  10.0.0.0/24 10.0.1.0/24 via 192.0.2.1\n"        // 15
      "  10.0.0.0/24 dev lan0 scope galaxy\n"            // 16
      "  10.0.0.0/24 dev averyveryverylongname\n"        // 17
      "  bogus\n");                                      // 18
  EXPECT_TRUE(hasError(r, 2, "routing table 'nosuchtable' not found"));
  EXPECT_TRUE(hasError(r, 3, "routing table '0' not found"));
  EXPECT_TRUE(hasError(r, 4, "protocol 'nosuch' not found"));
  EXPECT_TRUE(hasError(r, 5, "mixes IPv4 and IPv6"));
  EXPECT_TRUE(hasError(r, 6, "destination 10.0.0.1/24 has host bits set"));
  EXPECT_TRUE(hasError(r, 7, "a unicast route needs 'via' or 'dev'"));
  EXPECT_TRUE(hasError(r, 8, "a blackhole route takes no 'via' or 'dev'"));
  EXPECT_TRUE(hasError(r, 9, "a route needs a destination"));
  EXPECT_TRUE(hasError(r, 10, "'onlink' needs 'via'"));
  EXPECT_TRUE(hasError(r, 11, "'from' (a source prefix) is IPv6 only"));
  EXPECT_TRUE(hasError(r, 12, "'metric' needs a value"));
  EXPECT_TRUE(hasError(r, 13, "invalid metric '4294967296'"));
  EXPECT_TRUE(hasError(r, 14, "tos is IPv4 only"));
  EXPECT_TRUE(hasError(r, 15, "two destinations"));
  EXPECT_TRUE(hasError(r, 16, "invalid scope 'galaxy'"));
  EXPECT_TRUE(hasError(r, 17, "invalid interface name"));
  EXPECT_TRUE(hasError(r, 18, "invalid destination 'bogus'"));
  EXPECT_TRUE(r.config.staticRoutes.empty()) << r.config.staticRoutes.size();
}

// Rules: every supported option, the actions, and keepalived's preference for a rule written
// without one (16384 counting down per family, in the order read), with a warning.
TEST(ConfigRules, EverySupportedRuleOption) {
  auto r = rules(
      "  from 192.0.2.0/24 to 198.51.100.0/24 table 100 priority 10 iif lan0 oif lan1 fwmark "
      "0x10/0xff "
      "tos 8 protocol static no_track\n"
      "  to 203.0.113.0/24 lookup main preference 11\n"
      "  from all fwmark 7 blackhole order 12\n"
      "  from 192.0.2.0/24 type unreachable priority 13\n"
      "  from 192.0.2.0/24 prohibit priority 14\n"
      "  from 192.0.2.0/25 table 101\n"
      "  from fd00:1::/64 table 102\n"
      "  from 192.0.2.128/25 table 103\n");
  ASSERT_TRUE(hasNoErrors(r));
  const auto& s = r.config.staticRules;
  ASSERT_EQ(s.size(), 8u);
  const RuleSpec& a = s[0].spec;
  EXPECT_EQ(a.family, Family::kV4);
  EXPECT_EQ(a.from, prefix("192.0.2.0/24"));
  EXPECT_EQ(a.to, prefix("198.51.100.0/24"));
  EXPECT_EQ(a.table, 100u);
  EXPECT_EQ(a.action, RuleAction::kTable);
  EXPECT_EQ(a.priority, 10u);
  EXPECT_EQ(a.iif, "lan0");
  EXPECT_EQ(a.oif, "lan1");
  EXPECT_EQ(a.fwmark, 0x10u);
  EXPECT_EQ(a.fwmask, 0xffu);
  EXPECT_EQ(a.tos, 8);
  EXPECT_EQ(a.protocol, 4);
  EXPECT_EQ(s[1].spec.table, 254u);
  EXPECT_FALSE(s[2].spec.from);
  EXPECT_EQ(s[2].spec.action, RuleAction::kBlackhole);
  EXPECT_EQ(s[3].spec.action, RuleAction::kUnreachable);
  EXPECT_EQ(s[4].spec.action, RuleAction::kProhibit);
  EXPECT_EQ(s[4].spec.protocol, kProtoKeepalived);
  EXPECT_EQ(s[5].spec.priority, 16384u);
  EXPECT_EQ(s[6].spec.family, Family::kV6);
  EXPECT_EQ(s[6].spec.priority, 16384u);
  EXPECT_EQ(s[7].spec.priority, 16383u);
  EXPECT_TRUE(hasWarning(r, 7, "no preference given: 16384 assigned"));
  EXPECT_TRUE(hasWarning(r, 9, "no preference given: 16383 assigned"));
}

// Rule options directord does not install, and broken rules, are errors at their line.
TEST(ConfigRules, BadRulesAreErrors) {
  auto r = rules(
      "  from 192.0.2.0/24 priority 1\n"                          // 2
      "  from 192.0.2.0/24 table 1 blackhole priority 1\n"        // 3
      "  not from 192.0.2.0/24 table 1 priority 1\n"              // 4
      "  from 192.0.2.0/24 goto 40 priority 1\n"                  // 5
      "  from 192.0.2.0/24 table 1 uidrange 1-2 priority 1\n"     // 6
      "  from 192.0.2.0/24 to fd00::/64 table 1 priority 1\n"     // 7
      "  from 192.0.2.1/24 table 1 priority 1\n"                  // 8
      "  from 192.0.2.0/24 table 1 priority x\n"                  // 9
      "  from 192.0.2.0/24 table 1 fwmark 1/x priority 1\n"       // 10
      "  from 192.0.2.0/24 nat priority 1\n"                      // 11
      "  from 192.0.2.0/24 table 1 priority 1 track_group G\n");  // 12
  EXPECT_TRUE(hasError(r, 2, "no action: write 'table T'"));
  EXPECT_TRUE(hasError(r, 3, "two actions"));
  EXPECT_TRUE(hasError(r, 4, "'not' (an inverted selector) not supported"));
  EXPECT_TRUE(hasError(r, 5, "rule option 'goto' not supported"));
  EXPECT_TRUE(hasError(r, 6, "rule option 'uidrange' not supported"));
  EXPECT_TRUE(hasError(r, 7, "mixes IPv4 and IPv6"));
  EXPECT_TRUE(hasError(r, 8, "from prefix 192.0.2.1/24 has host bits set"));
  EXPECT_TRUE(hasError(r, 9, "invalid priority 'x'"));
  EXPECT_TRUE(hasError(r, 10, "invalid fwmark mask 'x'"));
  EXPECT_TRUE(hasError(r, 11, "unknown rule keyword 'nat'"));
  EXPECT_TRUE(hasError(r, 12, "track_group not supported"));
  EXPECT_TRUE(r.config.staticRules.empty());
}

// One owner per route or rule: the same one in static_routes and an instance (or two instances)
// would be removed by one owner while the other holds it.
TEST(ConfigRoutes, OneOwnerPerRouteAndRule) {
  auto r = load(
      "static_routes {\n"
      "  10.0.0.0/24 via 192.0.2.1\n"  // 2
      "}\n"
      "static_rules {\n"
      "  from 10.0.0.0/24 table 5 priority 9\n"  // 5
      "}\n"
      "vrrp_instance VI_1 {\n"
      "  interface lan0\n"
      "  virtual_router_id 1\n"
      "  virtual_ipaddress {\n    192.0.2.100/24\n  }\n"
      "  virtual_routes {\n"
      "    10.0.0.0/24 via 192.0.2.1\n"  // 14
      "    10.0.1.0/24 via 192.0.2.1\n"  // 15
      "  }\n"
      "  virtual_rules {\n"
      "    from 10.0.0.0/24 table 5 priority 9\n"  // 18
      "  }\n"
      "}\n");
  EXPECT_TRUE(hasError(
      r, 14,
      "the same route is in vrrp_instance VI_1 virtual_routes and in static_routes (test.conf:2)"));
  EXPECT_TRUE(hasError(
      r, 18,
      "the same rule is in vrrp_instance VI_1 virtual_rules and in static_rules (test.conf:5)"));
  EXPECT_FALSE(hasError(r, 15, "the same route"));
}

// Table and protocol names come from iproute2's files, as keepalived reads them: "ID NAME" lines,
// comments and junk skipped, numbers in decimal or hex.
TEST(ConfigRoutes, Iproute2Names) {
  config::Iproute2Names names = config::builtinIproute2Names();
  config::addIproute2Names("# comment\n100 vips\n0x65\tlan # tail\nbad line here\n300x junk\n",
                           UINT32_MAX, names.tables);
  EXPECT_EQ(config::iproute2Value("vips", names.tables, UINT32_MAX), 100u);
  EXPECT_EQ(config::iproute2Value("lan", names.tables, UINT32_MAX), 101u);
  EXPECT_EQ(config::iproute2Value("main", names.tables, UINT32_MAX), 254u);
  EXPECT_EQ(config::iproute2Value("0x10", names.tables, UINT32_MAX), 16u);
  EXPECT_FALSE(config::iproute2Value("junk", names.tables, UINT32_MAX));
  EXPECT_EQ(config::iproute2Value("keepalived", names.protocols, 255), 18u);
  EXPECT_FALSE(config::iproute2Value("256", names.protocols, 255));
  // A named table in a route line, through the grammar itself.
  config::RulePriorities priorities;
  config::DiagnosticSink sink;
  config::Node entry{
      "10.0.0.0/24", {"via", "192.0.2.1", "table", "vips"}, {}, {"x.conf", 3}, false};
  auto line = config::parseRouteLine(entry, "static_routes", names, sink);
  ASSERT_TRUE(line);
  EXPECT_EQ(line->spec.table, 100u);
  config::Node rule{"from", {"192.0.2.0/24", "lookup", "lan"}, {}, {"x.conf", 4}, false};
  auto parsedRule = config::parseRuleLine(rule, "static_rules", names, priorities, sink);
  ASSERT_TRUE(parsedRule);
  EXPECT_EQ(parsedRule->spec.table, 101u);
}

}  // namespace
}  // namespace ha::director
