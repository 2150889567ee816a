// Node::connections on fakes: the flows the conntrack port holds, named by the plan's services,
// filtered to one service when asked; an unknown service is said to be unknown.
#include <gtest/gtest.h>

#include <optional>

#include "tests/unit/director/node/node_harness.h"

namespace ha::director::test {
namespace {

constexpr const char* kConfig = R"(
virtual_server 192.0.2.10 80 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.11 80 {
    }
}
virtual_server 192.0.2.10 53 {
    lb_algo rr
    lb_kind NAT
    protocol UDP
    real_server 198.51.100.21 53 {
    }
}
)";

uint32_t idOf(Node& node, NodeRig& rig, const ServiceKey& key) {
  auto snap = rig.ask([&] { return node.snapshot(); });
  for (const auto& s : snap->services) {
    if (s.plan.key == key) return s.plan.id;
  }
  ADD_FAILURE() << "no service " << key.str();
  return 0;
}

// Every flow of ours is a row under its service's VIP:port; a filter keeps one service's.
TEST(NodeConnections, ListsFlowsByService) {
  NodeRig rig;
  Node& node = rig.started(kConfig, Wiring{.health = false});
  const ServiceKey web{Protocol::kTcp, ip("192.0.2.10"), 80};
  const ServiceKey dns{Protocol::kUdp, ip("192.0.2.10"), 53};
  const uint32_t webId = idOf(node, rig, web);
  const uint32_t dnsId = idOf(node, rig, dns);
  rig.flows_->add({webId, 6, endpoint("198.51.100.11", 80)}, true);
  rig.flows_->add({webId, 6, endpoint("198.51.100.11", 80)}, false);
  rig.flows_->add({dnsId, 17, endpoint("198.51.100.21", 53)}, true);

  auto all = rig.ask([&] { return node.connections(std::nullopt); });
  ASSERT_TRUE(all) << all.error();
  EXPECT_EQ(all->total, 3u);
  ASSERT_EQ(all->rows.size(), 3u);
  EXPECT_EQ(all->rows[0].virtualService.str(), "192.0.2.10:80");
  EXPECT_EQ(all->rows[0].destination.str(), "198.51.100.11:80");
  EXPECT_EQ(all->rows[0].state, "ESTABLISHED");
  EXPECT_EQ(all->rows[1].state, "SYN_RECV");
  EXPECT_EQ(all->rows[2].virtualService.str(), "192.0.2.10:53");
  EXPECT_EQ(all->rows[2].protocol, Protocol::kUdp);

  auto onlyDns = rig.ask([&] { return node.connections(dns); });
  ASSERT_TRUE(onlyDns) << onlyDns.error();
  EXPECT_TRUE(onlyDns->serviceKnown);
  ASSERT_EQ(onlyDns->rows.size(), 1u);
  EXPECT_EQ(onlyDns->rows[0].destination.str(), "198.51.100.21:53");
}

// A service that is not configured is reported as unknown, with no rows.
TEST(NodeConnections, UnknownService) {
  NodeRig rig;
  Node& node = rig.started(kConfig, Wiring{.health = false});
  auto none = rig.ask([&] {
    return node.connections(ServiceKey{Protocol::kTcp, ip("192.0.2.10"), 443});
  });
  ASSERT_TRUE(none) << none.error();
  EXPECT_FALSE(none->serviceKnown);
  EXPECT_TRUE(none->rows.empty());
}

}  // namespace
}  // namespace ha::director::test
