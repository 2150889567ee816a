// local_address_group (FULLNAT pools) and static_ipaddress.
#include <gtest/gtest.h>

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

// Short IPv4 ranges cover the last octet, full ranges any span, in config order.
TEST(ConfigLocalAddressGroup, ExpandsIpv4Ranges) {
  auto r =
      load("local_address_group g {\n  192.0.2.10-12\n  192.0.2.254-192.0.3.1\n  10.0.0.1\n}\n");
  ASSERT_TRUE(isClean(r));
  const auto& g = r.config.laddrGroups.at("g");
  EXPECT_EQ(g.where.line, 1);
  EXPECT_EQ(strs(g.addresses),
            (std::vector<std::string>{"192.0.2.10", "192.0.2.11", "192.0.2.12", "192.0.2.254",
                                      "192.0.2.255", "192.0.3.0", "192.0.3.1", "10.0.0.1"}));
}

// Short IPv6 ranges cover the last 16-bit group, in hex.
TEST(ConfigLocalAddressGroup, ExpandsIpv6Ranges) {
  auto r = load("local_address_group g6 {\n  fd00::f-11\n  fd00::1:0-fd00::1:1\n}\n");
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

// A group has at most 65536 addresses: exactly that many is fine, one more is an error.
TEST(ConfigLocalAddressGroup, CapsAt65536Addresses) {
  auto ok = load("local_address_group big {\n  10.0.0.0-10.0.255.255\n}\n");
  ASSERT_TRUE(isClean(ok));
  EXPECT_EQ(ok.config.laddrGroups.at("big").addresses.size(), 65536u);
  auto r = load("local_address_group big {\n  10.0.0.0-10.0.255.255\n  10.1.0.0\n}\n");
  EXPECT_TRUE(hasError(r, 3, "local_address_group big has more than 65536 addresses"));
  auto huge = load("local_address_group huge {\n  10.0.0.0-10.255.255.255\n}\n");
  EXPECT_TRUE(hasError(huge, 2, "has more than 65536 addresses"));
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
  EXPECT_EQ(strs(r.config.laddrGroups.at("g").addresses), (std::vector<std::string>{"192.0.2.1"}));
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
