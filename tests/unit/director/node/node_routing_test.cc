// static_routes / static_rules on the node: installed at start after the addresses, only the
// difference on reload, everything directord installed removed at stop, and a route that was
// there before directord found present, logged, and never removed.
#include <gtest/gtest.h>

#include "tests/unit/director/node/node_harness.h"

namespace ha::director::test {
namespace {

const std::string kConfig =
    "static_ipaddress {\n  192.0.2.10/24 dev lan0\n}\n"
    "static_routes {\n"
    "  203.0.113.0/26 via 192.0.2.1 dev lan0 table 100\n"
    "  blackhole 198.51.100.128/25 table 100\n"
    "}\n"
    "static_rules {\n  from 192.0.2.0/24 table 100 priority 1000\n}\n";

class NodeRoutingTest : public NodeHarness {
 protected:
  std::vector<std::string> kernelRouting() const {
    std::vector<std::string> out;
    for (const auto& e : routing_.all()) out.push_back(describe(e));
    return out;
  }
  static RoutingEntry entry(const std::string& configLine, bool rule = false) {
    const std::string block = rule ? "static_rules" : "static_routes";
    auto loaded = loadConfigText(block + " {\n" + configLine + "\n}\n", "x.conf");
    EXPECT_FALSE(loaded.hasErrors());
    if (rule) return loaded.config.staticRules.at(0).spec;
    return loaded.config.staticRoutes.at(0).spec;
  }
};

// Start installs every static route and rule, after the static addresses; stop removes them all.
TEST_F(NodeRoutingTest, StartInstallsStopRemoves) {
  Node& node = started(kConfig);
  EXPECT_TRUE(routing_.has(entry("203.0.113.0/26 via 192.0.2.1 dev lan0 table 100")));
  EXPECT_TRUE(routing_.has(entry("blackhole 198.51.100.128/25 table 100")));
  EXPECT_TRUE(routing_.has(entry("from 192.0.2.0/24 table 100 priority 1000", true)));
  EXPECT_EQ(addresses(), (std::vector<std::string>{"192.0.2.10/24 dev lan0"}));
  node.stop();
  EXPECT_TRUE(routing_.all().empty()) << ::testing::PrintToString(kernelRouting());
  // The rule went first (it points at the table the routes fill).
  EXPECT_EQ(routing_.changes.at(3),
            "del " + describe(entry("from 192.0.2.0/24 table 100 priority 1000", true)));
}

// A reload adds what is new and removes what is gone; what stayed is not touched.
TEST_F(NodeRoutingTest, ReloadChangesOnlyTheDifference) {
  started(kConfig);
  routing_.changes.clear();
  std::string next = kConfig;
  next.replace(next.find("  blackhole 198.51.100.128/25 table 100\n"), 39,
               "  unreachable 10.0.0.0/8 table 100\n");
  reloadWith(next);
  EXPECT_EQ(routing_.changes, (std::vector<std::string>{
                                  "del " + describe(entry("blackhole 198.51.100.128/25 table 100")),
                                  "add " + describe(entry("unreachable 10.0.0.0/8 table 100"))}));
  // A reload with an error in a route changes nothing at all.
  routing_.changes.clear();
  reloadWith(next + "static_routes {\n  10.1.0.0/16 via 192.0.2.1 mtu 1400\n}\n");
  EXPECT_TRUE(routing_.changes.empty()) << ::testing::PrintToString(routing_.changes);
}

// An identical route that was there first is someone else's: logged as found present, and left
// in place at stop.
TEST_F(NodeRoutingTest, PresentRouteIsLeftAlone) {
  const RoutingEntry theirs = entry("blackhole 198.51.100.128/25 table 100");
  routing_.put(theirs);
  std::string log = logged([&] { started(kConfig); });
  EXPECT_NE(log.find("static route blackhole 198.51.100.128/25 table 100 proto 18 scope 0 tos 0 "
                     "mode prepend found "
                     "present, not added by directord"),
            std::string::npos)
      << log;
  node_->stop();
  EXPECT_EQ(routing_.all(), (std::vector<RoutingEntry>{theirs}));
}

}  // namespace
}  // namespace ha::director::test
