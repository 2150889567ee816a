#include "common/ip_address.h"

#include <gtest/gtest.h>

namespace ha {
namespace {

// IPv4 and IPv6 text round-trips through parse/str.
TEST(IpAddress, ParsesAndFormatsBothFamilies) {
  auto v4 = IpAddress::parse("192.0.2.10");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(v4->isV4());
  EXPECT_EQ(v4->str(), "192.0.2.10");
  EXPECT_EQ(v4->v4HostOrder(), 0xc000020au);
  auto v6 = IpAddress::parse("fd00::1");
  ASSERT_TRUE(v6);
  EXPECT_FALSE(v6->isV4());
  EXPECT_EQ(v6->str(), "fd00::1");
}

// Garbage, empty and over-long text are refused rather than half-parsed.
TEST(IpAddress, RefusesMalformedText) {
  EXPECT_FALSE(IpAddress::parse(""));
  EXPECT_FALSE(IpAddress::parse("192.0.2"));
  EXPECT_FALSE(IpAddress::parse("192.0.2.256"));
  EXPECT_FALSE(IpAddress::parse("fd00:::1"));
  EXPECT_FALSE(IpAddress::parse(std::string(100, '1')));
}

// Range arithmetic used by local_address_group expansion.
TEST(IpAddress, PlusAndDistance) {
  auto a = *IpAddress::parse("192.0.2.250");
  EXPECT_EQ(a.plus(5).str(), "192.0.2.255");
  EXPECT_EQ(a.plus(6).str(), "192.0.3.0");
  EXPECT_EQ(a.plus(6).distanceFrom(a), 6u);
  EXPECT_FALSE(a.distanceFrom(a.plus(1)));
  auto b = *IpAddress::parse("fd00::ff");
  EXPECT_EQ(b.plus(1).str(), "fd00::100");
  EXPECT_FALSE(b.distanceFrom(a));
}

// Prefixes need a valid length for their family.
TEST(IpPrefix, ParsesLengths) {
  EXPECT_EQ(IpPrefix::parse("192.0.2.1/24")->length, 24);
  EXPECT_EQ(IpPrefix::parse("192.0.2.1")->length, 32);
  EXPECT_FALSE(IpPrefix::parse("192.0.2.1/33"));
  EXPECT_FALSE(IpPrefix::parse("192.0.2.1/x"));
  EXPECT_EQ(IpPrefix::parse("fd00::1/64")->str(), "fd00::1/64");
}

// Endpoints print the way ipvsadm does, with brackets for IPv6.
TEST(IpAddress, FormatsEndpoints) {
  EXPECT_EQ(formatEndpoint(*IpAddress::parse("192.0.2.1"), 80), "192.0.2.1:80");
  EXPECT_EQ(formatEndpoint(*IpAddress::parse("fd00::1"), 443), "[fd00::1]:443");
}

}  // namespace
}  // namespace ha
