// local_address_group (FULLNAT pools) and static_ipaddress.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include "director/config/value_parsers.h"
#include "tests/unit/director/config/config_test_util.h"

namespace ha::director {
namespace {

using testing::hasError;
using testing::hasNoErrors;
using testing::hasWarning;
using testing::isClean;
using testing::load;

std::vector<std::string> strs(const std::vector<IpAddress>& addresses) {
  std::vector<std::string> out;
  for (const auto& a : addresses) out.push_back(a.str());
  return out;
}

// A FULLNAT service that puts group `name` in use (appended after the groups: line numbers of
// the groups stay as written).
std::string usedBy(const std::string& name, const std::string& vip = "203.0.113.1",
                    int port = 80) {
  return "virtual_server " + vip + " " + std::to_string(port) + " {\n  lb_kind FNAT\n" +
         "  laddr_group_name " + name + "\n}\n";
}

size_t expandedAddresses(const LoadResult& r) {
  size_t n = 0;
  for (const auto& [name, group] : r.config.laddrGroups) n += group.addresses.size();
  return n;
}

// Short IPv4 ranges cover the last octet, full ranges any span, in config order.
TEST(ConfigLocalAddressGroup, ExpandsIpv4Ranges) {
  auto r = load(
      "local_address_group g {\n  192.0.2.10-12\n  192.0.2.254-192.0.3.1\n  10.0.0.1\n}\n" +
      usedBy("g"));
  ASSERT_TRUE(isClean(r));
  const auto& g = r.config.laddrGroups.at("g");
  EXPECT_EQ(g.where.line, 1);
  EXPECT_EQ(strs(g.addresses),
            (std::vector<std::string>{"192.0.2.10", "192.0.2.11", "192.0.2.12", "192.0.2.254",
                                      "192.0.2.255", "192.0.3.0", "192.0.3.1", "10.0.0.1"}));
}

// Short IPv6 ranges cover the last 16-bit group, in hex.
TEST(ConfigLocalAddressGroup, ExpandsIpv6Ranges) {
  auto r = load("local_address_group g6 {\n  fd00::f-11\n  fd00::1:0-fd00::1:1\n}\n" +
                usedBy("g6", "fd00:2::1"));
  ASSERT_TRUE(isClean(r));
  EXPECT_EQ(
      strs(r.config.laddrGroups.at("g6").addresses),
      (std::vector<std::string>{"fd00::f", "fd00::10", "fd00::11", "fd00::1:0", "fd00::1:1"}));
}

// The range parser refuses ends below starts, bad ends and mixed families.
TEST(ConfigLocalAddressGroup, RangeParserRefusesBadRanges) {
  using config::parseAddressRange;
  EXPECT_EQ(parseAddressRange("192.0.2.1")->count, 1u);
  EXPECT_EQ(parseAddressRange("192.0.2.0-255")->count, 256u);
  EXPECT_EQ(parseAddressRange("fd00::-ffff")->count, 65536u);
  EXPECT_FALSE(parseAddressRange("192.0.2.20-10"));
  EXPECT_FALSE(parseAddressRange("192.0.2.1-256"));
  EXPECT_FALSE(parseAddressRange("192.0.2.1-"));
  EXPECT_FALSE(parseAddressRange("192.0.2.1-fd00::1"));
  EXPECT_FALSE(parseAddressRange("fd00::1-10000"));
  EXPECT_FALSE(parseAddressRange("fd00::1-xyz"));
  EXPECT_FALSE(parseAddressRange("::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_FALSE(parseAddressRange("-1"));
}

// Bad entries are errors naming the entry and the group, at the entry's line.
TEST(ConfigLocalAddressGroup, BadEntriesAreErrors) {
  auto r = load(
      "local_address_group g {\n  192.0.2.20-10\n  192.0.2.1 dev0\n  192.0.2.5\n"
      "  fd00::1\n  192.0.2.5\n}\n");
  EXPECT_TRUE(hasError(r, 2, "invalid address or range '192.0.2.20-10' in local_address_group g"));
  EXPECT_TRUE(hasError(r, 3, "extra argument 'dev0'"));
  EXPECT_TRUE(hasError(r, 5, "local_address_group g mixes IPv4 and IPv6 addresses"));
  EXPECT_TRUE(hasError(r, 6, "address 192.0.2.5 listed twice in local_address_group g"));
}

// Ranges that overlap report the first address they share, at the later entry, whatever their
// order; ranges that only touch do not overlap. Checked on the ranges, without expanding them.
TEST(ConfigLocalAddressGroup, OverlappingRangesAreErrors) {
  auto r = load(
      "local_address_group g {\n  10.0.1.0-10.0.1.255\n  10.0.0.250-10.0.1.3\n"
      "  10.0.2.0-9\n  10.0.1.255-10.0.2.0\n  10.0.0.0-10.0.0.249\n  10.0.0.0-10.255.255.255\n"
      "}\n");
  EXPECT_TRUE(hasError(r, 3, "address 10.0.1.0 listed twice in local_address_group g"));
  EXPECT_TRUE(hasError(r, 5, "address 10.0.1.255 listed twice in local_address_group g"));
  EXPECT_TRUE(hasError(r, 7, "address 10.0.0.0 listed twice in local_address_group g"));
  EXPECT_EQ(r.diagnostics.size(), 4u) << testing::dump(r);  // + g is not used
}

// 1,000 unused groups of a /16 each (65,536,000 addresses if expanded, 2.2 GB before) are
// skipped with a warning naming each: nothing is expanded, and memory stays small.
TEST(ConfigLocalAddressGroup, UnusedGroupsAreNotExpanded) {
  std::string text;
  for (int i = 0; i < 1000; ++i) {
    text += "local_address_group unused" + std::to_string(i) + " {\n  10." +
            std::to_string(i % 256) + "." + std::to_string(i / 256) + ".0-10." +
            std::to_string(i % 256) + "." + std::to_string(i / 256) + ".255\n  11." +
            std::to_string(i % 256) + ".0.0-11." + std::to_string(i % 256) + ".255.255\n}\n";
  }
  text += "local_address_group used {\n  192.0.2.10-12\n}\n" + usedBy("used");
  rusage before{};
  ::getrusage(RUSAGE_SELF, &before);
  auto r = load(text);
  rusage after{};
  ::getrusage(RUSAGE_SELF, &after);
  EXPECT_TRUE(hasNoErrors(r));
  EXPECT_TRUE(hasWarning(r, 1,
                         "local_address_group unused0 is not used: no virtual_server names it in "
                         "laddr_group_name and there is no connection_sync; its addresses are not "
                         "expanded"));
  EXPECT_TRUE(hasWarning(r, 3997, "local_address_group unused999 is not used"));
  EXPECT_EQ(r.config.laddrGroups.size(), 1u);
  EXPECT_EQ(expandedAddresses(r), 3u);
  // Peak RSS grows by far less than the 65M addresses would take (ru_maxrss is in KiB).
  EXPECT_LT(after.ru_maxrss - before.ru_maxrss, 64 * 1024);
}

// With connection_sync every group is in use (sync accepts peers' flows on any configured local
// address: etc/fullnat-cluster-dir1.conf's PEERS group), so every group is expanded.
TEST(ConfigLocalAddressGroup, ConnectionSyncUsesEveryGroup) {
  auto r = load(
      "local_address_group peers {\n  198.51.100.201-203\n}\n"
      "connection_sync {\n  listen 198.51.100.1 7800\n  peer b 198.51.100.2 7800\n"
      "  tls {\n    ca /ca.pem\n    cert /c.pem\n    key /k.pem\n  }\n}\n");
  EXPECT_TRUE(isClean(r));
  EXPECT_EQ(strs(r.config.laddrGroups.at("peers").addresses),
            (std::vector<std::string>{"198.51.100.201", "198.51.100.202", "198.51.100.203"}));
}

// At most 8192 local addresses are expanded, all groups in use together: exactly that many is
// fine; one more is an error at the entry that passes the limit, and so is a used /16 group.
TEST(ConfigLocalAddressGroup, CapsAt8192AddressesInAll) {
  auto ok = load("local_address_group a {\n  10.0.0.0-10.0.15.255\n}\n"
                 "local_address_group b {\n  10.1.0.0-10.1.15.255\n}\n" +
                 usedBy("a") + usedBy("b", "203.0.113.2"));
  ASSERT_TRUE(isClean(ok));
  EXPECT_EQ(expandedAddresses(ok), 8192u);
  auto r = load("local_address_group a {\n  10.0.0.0-10.0.15.255\n}\n"
                "local_address_group b {\n  10.1.0.0-10.1.15.255\n  10.2.0.0\n}\n" +
                usedBy("a") + usedBy("b", "203.0.113.2"));
  EXPECT_TRUE(hasError(r, 6,
                       "local_address_group b: more than 8192 local addresses in the groups in "
                       "use (all groups together)"));
  EXPECT_LE(expandedAddresses(r), 8192u);
  auto huge = load("local_address_group huge {\n  10.0.0.0-10.0.255.255\n}\n" + usedBy("huge"));
  EXPECT_TRUE(hasError(huge, 2, "local_address_group huge: more than 8192 local addresses"));
  EXPECT_EQ(expandedAddresses(huge), 0u);
  // The service still finds its group: no "unknown local_address_group" on top.
  EXPECT_EQ(testing::problemCount(huge), 1u) << testing::dump(huge);
}

// Empty groups and reused names are errors; a nameless group is a missing argument.
TEST(ConfigLocalAddressGroup, EmptyDuplicateAndNameless) {
  auto r = load(
      "local_address_group empty {\n}\n"
      "local_address_group g {\n  192.0.2.1\n}\n"
      "local_address_group g {\n  192.0.2.2\n}\n"
      "local_address_group {\n  192.0.2.3\n}\n");
  EXPECT_TRUE(hasError(r, 1, "local_address_group empty has no addresses"));
  EXPECT_TRUE(hasError(r, 6, "local_address_group g already defined at test.conf:3"));
  EXPECT_TRUE(hasError(r, 9, "missing argument for 'local_address_group'"));
  EXPECT_TRUE(hasWarning(r, 3, "local_address_group g is not used"));
}

// static_ipaddress keeps ADDR/LEN, dev and label; a missing length means a host address.
TEST(ConfigStaticIpaddress, ParsesKeepalivedEntries) {
  auto r =
      load("static_ipaddress {\n  192.0.2.1/24 dev eth0 label eth0:1\n  fd00::1 dev eth1\n}\n");
  ASSERT_TRUE(isClean(r));
  ASSERT_EQ(r.config.staticAddresses.size(), 2u);
  const auto& a = r.config.staticAddresses[0];
  EXPECT_EQ(a.prefix.str(), "192.0.2.1/24");
  EXPECT_EQ(a.dev, "eth0");
  EXPECT_EQ(a.label, "eth0:1");
  EXPECT_EQ(a.where.line, 2);
  EXPECT_EQ(r.config.staticAddresses[1].prefix.str(), "fd00::1/128");
  EXPECT_EQ(r.config.staticAddresses[1].dev, "eth1");
}

// `dev` is required; options we do not apply warn; unknown options and bad addresses are errors.
TEST(ConfigStaticIpaddress, RequiresDevAndReportsOptions) {
  auto r = load(
      "static_ipaddress {\n"
      "  192.0.2.1/24\n"
      "  192.0.2.2/24 dev eth0 scope link brd 192.0.2.255 noprefixroute\n"
      "  192.0.2.3/24 dev eth0 colour blue\n"
      "  192.0.2.4/33 dev eth0\n"
      "  192.0.2.5/24 dev\n"
      "  192.0.2.2/32 dev eth1\n"
      "}\n");
  EXPECT_TRUE(hasError(r, 2, "static_ipaddress 192.0.2.1/24 needs 'dev IFACE'"));
  EXPECT_TRUE(hasWarning(r, 3, "option 'scope' of static_ipaddress not supported yet"));
  EXPECT_TRUE(hasWarning(r, 3, "option 'brd' of static_ipaddress not supported yet"));
  EXPECT_TRUE(hasWarning(r, 3, "option 'noprefixroute' of static_ipaddress not supported yet"));
  EXPECT_TRUE(hasError(r, 4, "unknown option 'colour' in static_ipaddress entry"));
  EXPECT_TRUE(hasError(r, 5, "invalid address '192.0.2.4/33' in static_ipaddress"));
  EXPECT_TRUE(hasError(r, 6, "missing value for 'dev'"));
  EXPECT_TRUE(hasError(r, 7, "static_ipaddress 192.0.2.2 already defined at test.conf:3"));
  ASSERT_EQ(r.config.staticAddresses.size(), 1u);
  EXPECT_EQ(r.config.staticAddresses[0].prefix.str(), "192.0.2.2/24");
}

// static_ipaddress is a block of entries; without one it is an error.
TEST(ConfigStaticIpaddress, NeedsBlock) {
  auto r = load("static_ipaddress 192.0.2.1/24 dev eth0\n");
  EXPECT_TRUE(hasError(r, 1, "extra argument '192.0.2.1/24' for 'static_ipaddress'"));
  EXPECT_TRUE(hasNoErrors(load("static_ipaddress {\n}\n")));
}

}  // namespace
}  // namespace ha::director
