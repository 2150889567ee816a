// Host prerequisites at start: each problem gives one warning naming the sysctl and the fix; a
// host that is set up right, or a sysctl that cannot be read, gives none.
#include "director/node/host_checks.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace ha::director {
namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

VirtualServerConfig service(const char* vip, ForwardMode mode, size_t reals) {
  VirtualServerConfig vs;
  vs.vip = ip(vip);
  vs.port = 80;
  vs.mode = mode;
  for (size_t i = 0; i < reals; ++i) vs.reals.emplace_back().port = 80;
  return vs;
}

// What a well set-up host reads: no warning from it.
SysctlValues goodHost() {
  return {{"net/ipv4/ip_forward", "1"},
          {"net/ipv6/conf/all/forwarding", "1"},
          {"net/netfilter/nf_conntrack_max", "262144"},
          {"net/netfilter/nf_conntrack_tcp_timeout_established", "432000"},
          {"net/netfilter/nf_conntrack_tcp_loose", "1"},
          {"net/ipv4/conf/all/rp_filter", "0"},
          {"net/ipv4/conf/lan0.100/rp_filter", "2"}};
}

Config natAndDr() {
  Config c;
  c.virtualServers.push_back(service("192.0.2.1", ForwardMode::kNat, 2));
  c.virtualServers.push_back(service("fd00:2::1", ForwardMode::kFullNat, 2));
  c.virtualServers.push_back(service("192.0.2.2", ForwardMode::kDr, 2));
  StaticAddress sa;
  sa.prefix = {ip("192.0.2.2"), 32};
  sa.dev = "lan0.100";
  c.staticAddresses.push_back(sa);
  return c;
}

// A host set up right: nothing to say; the DR device's rp_filter is among the sysctls read.
TEST(HostChecks, GoodHostNoWarnings) {
  EXPECT_TRUE(hostWarnings(natAndDr(), goodHost()).empty());
  auto wanted = wantedSysctls(natAndDr());
  EXPECT_NE(std::find(wanted.begin(), wanted.end(), "net/ipv4/conf/lan0.100/rp_filter"),
            wanted.end());
}

// Forwarding off for each family with NAT/FULLNAT services of it: one warning each, with the fix.
TEST(HostChecks, ForwardingOffWarnsPerFamily) {
  auto values = goodHost();
  values["net/ipv4/ip_forward"] = "0";
  values["net/ipv6/conf/all/forwarding"] = "0";
  auto warnings = hostWarnings(natAndDr(), values);
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_EQ(warnings[0],
            "host: net.ipv4.ip_forward is 0, so the NAT/FULLNAT services TCP 192.0.2.1:80 forward "
            "nothing; "
            "fix: sysctl -w net.ipv4.ip_forward=1");
  EXPECT_NE(warnings[1].find("TCP [fd00:2::1]:80"), std::string::npos) << warnings[1];
  EXPECT_NE(warnings[1].find("fix: sysctl -w net.ipv6.conf.all.forwarding=1"), std::string::npos);
}

// DR only: forwarding is not needed, so not warned about.
TEST(HostChecks, DrOnlyNeedsNoForwarding) {
  Config c;
  c.virtualServers.push_back(service("192.0.2.2", ForwardMode::kDr, 1));
  auto values = goodHost();
  values["net/ipv4/ip_forward"] = "0";
  EXPECT_TRUE(hostWarnings(c, values).empty());
}

// Strict rp_filter on the DR device (the larger of "all" and its own, as the kernel reads it):
// warned with loose mode as the fix, the dotted interface name written the way sysctl(8) wants it.
TEST(HostChecks, StrictRpFilterOnDrDevice) {
  auto values = goodHost();
  values["net/ipv4/conf/all/rp_filter"] = "1";
  values["net/ipv4/conf/lan0.100/rp_filter"] = "0";
  auto warnings = hostWarnings(natAndDr(), values);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("strict rp_filter on lan0.100"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("net.ipv4.conf.lan0/100.rp_filter=2"), std::string::npos)
      << warnings[0];
  values["net/ipv4/conf/all/rp_filter"] = "2";
  values["net/ipv4/conf/lan0.100/rp_filter"] = "2";
  EXPECT_TRUE(hostWarnings(natAndDr(), values).empty());  // the kernel uses max(all, dev): 2, loose
}

// nf_conntrack_max below 1024 flows per real (or the floor): warned with the value wanted.
TEST(HostChecks, ConntrackMaxAgainstScale) {
  Config c;
  c.virtualServers.push_back(service("192.0.2.1", ForwardMode::kNat, 100));
  auto values = goodHost();
  values["net/netfilter/nf_conntrack_max"] = "65536";
  auto warnings = hostWarnings(c, values);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("below 102400 (100 reals x 1024 flows"), std::string::npos)
      << warnings[0];
  EXPECT_NE(warnings[0].find("sysctl -w net.netfilter.nf_conntrack_max=102400"), std::string::npos);
  values["net/netfilter/nf_conntrack_max"] = "32768";
  warnings = hostWarnings(natAndDr(), values);  // 6 reals: the floor rules
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("nf_conntrack_max=65536"), std::string::npos) << warnings[0];
}

// An established timeout under IPVS's 900 s, or under the longest persistence_timeout.
TEST(HostChecks, EstablishedTimeout) {
  auto c = natAndDr();
  c.virtualServers[0].persistenceTimeoutSec = 3600;
  auto values = goodHost();
  values["net/netfilter/nf_conntrack_tcp_timeout_established"] = "1800";
  auto warnings = hostWarnings(c, values);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("nf_conntrack_tcp_timeout_established=3600"), std::string::npos)
      << warnings[0];
}

// tcp_loose off matters only with connection_sync.
TEST(HostChecks, TcpLooseWithSync) {
  auto c = natAndDr();
  auto values = goodHost();
  values["net/netfilter/nf_conntrack_tcp_loose"] = "0";
  EXPECT_TRUE(hostWarnings(c, values).empty());
  c.sync.enabled = true;
  auto warnings = hostWarnings(c, values);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("sysctl -w net.netfilter.nf_conntrack_tcp_loose=1"),
            std::string::npos);
}

// Unreadable or garbled values (nf_conntrack not loaded yet) skip their check rather than guess.
TEST(HostChecks, MissingValuesSkipTheirCheck) {
  EXPECT_TRUE(hostWarnings(natAndDr(), {}).empty());
  EXPECT_TRUE(hostWarnings(natAndDr(), {{"net/ipv4/ip_forward", "x"}}).empty());
}

// The reader: values trimmed, missing files left out.
TEST(HostChecks, ReadSysctlsFromATree) {
  std::string pattern = (std::filesystem::temp_directory_path() / "sysctl-test-XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  const std::filesystem::path root(pattern);
  std::filesystem::create_directories(root / "net/ipv4/conf/lan0.100");
  std::ofstream(root / "net/ipv4/ip_forward") << "1\n";
  std::ofstream(root / "net/ipv4/conf/lan0.100/rp_filter") << "2 \n";
  auto values = readSysctls(
      {"net/ipv4/ip_forward", "net/ipv4/conf/lan0.100/rp_filter", "net/netfilter/nf_conntrack_max"},
      root.string());
  EXPECT_EQ(values, (SysctlValues{{"net/ipv4/ip_forward", "1"},
                                  {"net/ipv4/conf/lan0.100/rp_filter", "2"}}));
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace ha::director
