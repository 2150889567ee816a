// ipvsadm's -t|-u VIP:PORT, parsed for `directorctl -Z`; bad input is an error naming it.
#include "director/ctl/service_ref.h"

#include <gtest/gtest.h>

namespace ha::director {
namespace {

TEST(ServiceRef, ParsesTcpAndUdpV4AndV6) {
  auto tcp = parseServiceRef("-t", "192.0.2.100:80");
  ASSERT_TRUE(tcp) << tcp.error();
  EXPECT_EQ(tcp->protocol(), "TCP");
  EXPECT_EQ(tcp->vip(), "192.0.2.100");
  EXPECT_EQ(tcp->port(), 80u);
  auto udp = parseServiceRef("-u", "[fd00:2::100]:53");
  ASSERT_TRUE(udp) << udp.error();
  EXPECT_EQ(udp->protocol(), "UDP");
  EXPECT_EQ(udp->vip(), "fd00:2::100");
  EXPECT_EQ(udp->port(), 53u);
}

TEST(ServiceRef, RefusesBadInputWithAReason) {
  for (auto [flag, text] :
       std::vector<std::pair<const char*, const char*>>{{"-x", "192.0.2.1:80"},
                                                        {"-t", "192.0.2.1"},
                                                        {"-t", "192.0.2.1:0"},
                                                        {"-t", "192.0.2.1:65536"},
                                                        {"-t", "192.0.2.1:8o"},
                                                        {"-t", "fd00::1:80"},
                                                        {"-t", "[192.0.2.1]:80"},
                                                        {"-t", "example.org:80"}}) {
    auto ref = parseServiceRef(flag, text);
    ASSERT_FALSE(ref) << flag << " " << text;
    EXPECT_FALSE(ref.error().empty());
  }
}

}  // namespace
}  // namespace ha::director
