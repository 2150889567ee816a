// Complete configs for each forwarding mode load cleanly with every field in place.
#include <gtest/gtest.h>

#include "tests/unit/director/config/config_test_util.h"

namespace ha::director {
namespace {

using testing::dataPath;
using testing::isClean;

std::vector<std::string> strs(const std::vector<IpAddress>& addresses) {
  std::vector<std::string> out;
  for (const auto& a : addresses) out.push_back(a.str());
  return out;
}

// NAT over IPv4 and IPv6, TCP and UDP, with weights, persistence and the global seed.
TEST(ConfigGood, Nat) {
  auto r = loadConfigFile(dataPath("nat.conf"));
  ASSERT_TRUE(isClean(r));
  const auto& c = r.config;
  EXPECT_EQ(c.globals.routerId, "dir1");
  EXPECT_EQ(c.globals.hashSeed, 0x1234abcdu);
  ASSERT_EQ(c.virtualServers.size(), 3u);
  const auto& web = c.virtualServers[0];
  EXPECT_EQ(web.where, (SourceLocation{dataPath("nat.conf"), 7}));
  EXPECT_EQ(web.scheduler, "wrr");
  EXPECT_EQ(web.mode, ForwardMode::kNat);
  EXPECT_EQ(web.delayLoopSec, 6);
  EXPECT_EQ(web.persistenceTimeoutSec, 300u);
  ASSERT_EQ(web.reals.size(), 2u);
  EXPECT_EQ(web.reals[0].address.str(), "10.0.0.11");
  EXPECT_EQ(web.reals[0].port, 8080);
  EXPECT_EQ(web.reals[0].weight, 3u);
  EXPECT_EQ(web.reals[1].weight, 0u);
  EXPECT_EQ(web.reals[1].where.line, 17);
  EXPECT_EQ(c.virtualServers[1].protocol, Protocol::kUdp);
  EXPECT_EQ(c.virtualServers[1].reals.size(), 2u);
  EXPECT_EQ(c.virtualServers[2].vip.str(), "2001:db8::1");
  EXPECT_EQ(c.virtualServers[2].reals[0].weight, 2u);
}

// FULLNAT with IPv4 (short, full and single entries) and IPv6 pools, mh and sh with port flags.
TEST(ConfigGood, FullNatWithRanges) {
  auto r = loadConfigFile(dataPath("fnat.conf"));
  ASSERT_TRUE(isClean(r));
  const auto& c = r.config;
  EXPECT_EQ(strs(c.laddrGroups.at("laddr_v4").addresses),
            (std::vector<std::string>{"192.0.2.100", "192.0.2.101", "192.0.2.102", "192.0.2.103",
                                      "192.0.2.110", "192.0.2.111", "192.0.2.120"}));
  EXPECT_EQ(strs(c.laddrGroups.at("laddr_v6").addresses),
            (std::vector<std::string>{"fd00::a", "fd00::b", "fd00::c", "fd00::d"}));
  ASSERT_EQ(c.virtualServers.size(), 2u);
  const auto& v4 = c.virtualServers[0];
  EXPECT_EQ(v4.mode, ForwardMode::kFullNat);
  EXPECT_EQ(v4.scheduler, "mh");
  EXPECT_EQ(v4.mhTableSize, 65537u);
  EXPECT_EQ(v4.schedulerFlags, (std::set<std::string>{"mh-port"}));
  EXPECT_EQ(v4.laddrGroup, "laddr_v4");
  EXPECT_EQ(v4.reals.size(), 2u);
  const auto& v6 = c.virtualServers[1];
  EXPECT_EQ(v6.mode, ForwardMode::kFullNat);
  EXPECT_EQ(v6.scheduler, "sh");
  EXPECT_EQ(v6.schedulerFlags, (std::set<std::string>{"sh-port"}));
  EXPECT_EQ(v6.laddrGroup, "laddr_v6");
}

// DR with sh, its VIP held by a static_ipaddress; the TCP_CHECK probes the real's port.
TEST(ConfigGood, DirectRouting) {
  auto r = loadConfigFile(dataPath("dr.conf"));
  ASSERT_TRUE(isClean(r));
  const auto& c = r.config;
  ASSERT_EQ(c.staticAddresses.size(), 1u);
  EXPECT_EQ(c.staticAddresses[0].prefix.str(), "203.0.113.5/32");
  EXPECT_EQ(c.staticAddresses[0].dev, "eth0");
  EXPECT_EQ(c.staticAddresses[0].label, "eth0:vip");
  ASSERT_EQ(c.virtualServers.size(), 1u);
  const auto& vs = c.virtualServers[0];
  EXPECT_EQ(vs.mode, ForwardMode::kDr);
  EXPECT_EQ(vs.scheduler, "sh");
  EXPECT_FALSE(vs.persistenceTimeoutSec);
  ASSERT_EQ(vs.reals.size(), 2u);
  ASSERT_EQ(vs.reals[0].checkers.size(), 1u);
  const auto& check = vs.reals[0].checkers[0];
  EXPECT_EQ(check.location, dataPath("dr.conf") + ":12");
  EXPECT_EQ(check.probe.kind, healthcheck::CheckKind::kTcp);
  EXPECT_EQ(check.probe.address.str(), "192.168.1.11");
  EXPECT_EQ(check.probe.port, 80);
  EXPECT_EQ(check.probe.connectTimeout, healthcheck::Millis(3000));
  EXPECT_EQ(vs.reals[1].port, 0);
  EXPECT_TRUE(vs.reals[1].checkers.empty());
}

}  // namespace
}  // namespace ha::director
