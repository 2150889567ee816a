#include "director/real/tun_state.h"

#include <gtest/gtest.h>

namespace ha::real {
namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

// What up records, down reads back unchanged.
TEST(TunState, RoundTrips) {
  TunState s;
  s.device = "eth0";
  s.decap = DecapMode::kIpip;
  s.vips = {ip("192.0.2.1"), ip("fd00:2::1")};
  s.directors = {ip("198.51.100.2")};
  s.addedToLo = {ip("192.0.2.1")};
  s.sysctls = {{"net/ipv4/conf/all/arp_ignore", "0", "1"},
               {"net/ipv4/conf/eth0/rp_filter", "1", "2"}};
  s.linksUp = {"tunl0"};
  auto back = parseTunState(formatTunState(s));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(*back, s);
}

// A damaged state file is refused whole, naming the line.
TEST(TunState, RefusesDamage) {
  EXPECT_NE(parseTunState("device eth0\nvip 192.0.2.999\n").error().find("line 2"),
            std::string::npos);
  EXPECT_NE(parseTunState("device eth0\nsysctl a 1\n").error().find("PATH BEFORE AFTER"),
            std::string::npos);
  EXPECT_NE(parseTunState("device eth0\ncolour blue\n").error().find("unknown key"),
            std::string::npos);
  EXPECT_NE(parseTunState("decap bpf\n").error().find("no device"), std::string::npos);
  EXPECT_NE(parseTunState("device eth0\ndecap gre\n").error().find("unknown decap"),
            std::string::npos);
}

}  // namespace
}  // namespace ha::real
