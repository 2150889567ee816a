// virtual_server_group, `virtual_server group NAME` and `virtual_server fwmark N`: keepalived
// 2.2.7's grammar (check_data.c alloc_vsg_entry / alloc_vs) and what it or IPVS refuses.
#include <gtest/gtest.h>

#include "tests/unit/director/config/config_test_util.h"

namespace ha::director {
namespace {

using testing::hasError;
using testing::isClean;
using testing::load;

constexpr const char* kReals =
    "  real_server 198.51.100.11 80\n  real_server 198.51.100.12 80\n}\n";

// A group's addresses, last-octet ranges, CIDR blocks and marks are kept as written; the service
// that names it takes the group's family, port 0 and one set of reals.
TEST(ConfigServiceGroup, GroupMembersAndService) {
  auto r = load(std::string("virtual_server_group web {\n  192.0.2.1 80\n  192.0.2.10-12 8080\n"
                            "  192.0.2.20-192.0.2.21 80\n  192.0.2.32/30 443\n  fwmark 7\n}\n"
                            "virtual_server group web {\n") +
                kReals);
  ASSERT_TRUE(isClean(r));
  const auto& g = r.config.serviceGroups.at("web");
  ASSERT_EQ(g.addresses.size(), 4u);
  EXPECT_EQ(g.addresses[1].first.str(), "192.0.2.10");
  EXPECT_EQ(g.addresses[1].count, 3u);
  EXPECT_EQ(g.addresses[1].port, 8080);
  EXPECT_EQ(g.addresses[2].count, 2u);
  EXPECT_EQ(g.addresses[3].count, 4u);
  ASSERT_EQ(g.fwmarks.size(), 1u);
  EXPECT_EQ(g.fwmarks[0].mark, 7u);
  const auto& vs = r.config.virtualServers.at(0);
  EXPECT_EQ(vs.group, "web");
  EXPECT_EQ(vs.vip.str(), "0.0.0.0");
  EXPECT_EQ(vs.port, 0);
  EXPECT_EQ(vs.reals.size(), 2u);
  EXPECT_EQ(virtualServerName(vs), "TCP group web");
}

// IPv6 ranges step the last 16-bit group (hex), as keepalived's inet_stor reads them.
TEST(ConfigServiceGroup, Ipv6Group) {
  auto r = load(
      "virtual_server_group v6 {\n  fd00:2::a-c 80\n}\n"
      "virtual_server group v6 {\n  real_server fd00:1::11 80\n}\n");
  ASSERT_TRUE(isClean(r));
  EXPECT_EQ(r.config.serviceGroups.at("v6").addresses[0].count, 3u);
  EXPECT_EQ(r.config.virtualServers.at(0).vip.str(), "::");
}

// An fwmark service: the family is the reals', reals may leave the port out (they keep the
// packet's), and the protocol is not part of its key (IPVS ignores it).
TEST(ConfigServiceGroup, FwmarkService) {
  auto r = load(
      "virtual_server fwmark 5 {\n  protocol UDP\n  real_server fd00:1::11\n"
      "  real_server fd00:1::12\n}\n");
  ASSERT_TRUE(isClean(r));
  const auto& vs = r.config.virtualServers.at(0);
  EXPECT_EQ(vs.fwmark, 5u);
  EXPECT_EQ(vs.vip.str(), "::");
  EXPECT_EQ(vs.protocol, Protocol::kTcp);
  EXPECT_EQ(vs.reals[0].port, 0);
  EXPECT_EQ(virtualServerName(vs), "FWM 5 IPv6");
}

// Each bad input is refused at its own line with the reason, and the config is not used.
TEST(ConfigServiceGroup, BadInputIsRefusedWithFileAndLine) {
  auto r =
      load(std::string("virtual_server fwmark 0 {\n  real_server 198.51.100.11 80\n}\n"       // 1
                       "virtual_server group nowhere {\n  real_server 198.51.100.11 80\n}\n"  // 4
                       "virtual_server_group empty {\n}\n"                                    // 7
                       "virtual_server_group a {\n  192.0.2.1-3 80\n  192.0.2.250-192.0.3.1 80\n"
                       "  192.0.2.9-5 80\n  fd00::1 80\n  fwmark 3\n}\n"            // 9..15
                       "virtual_server_group b {\n  192.0.2.2 80\n  fwmark 3\n}\n"  // 16..19
                       "virtual_server group a {\n") +                              // 20
           kReals +                                                                 // ..23
           "virtual_server group b {\n" +
           kReals +                                      // 24
           "virtual_server 192.0.2.1 80 {\n" + kReals +  // 28
           "virtual_server group a {\n" + kReals);       // 32
  EXPECT_TRUE(hasError(r, 1, "0 is an unmarked packet"));
  EXPECT_TRUE(hasError(r, 4, "no virtual_server_group of that name is defined"));
  EXPECT_TRUE(hasError(r, 7, "virtual_server_group empty has no entries"));
  EXPECT_TRUE(hasError(r, 11, "crosses an octet boundary"));
  EXPECT_TRUE(hasError(r, 12, "ends below its start"));
  EXPECT_TRUE(hasError(r, 13, "mixes IPv4 and IPv6"));
  EXPECT_TRUE(hasError(r, 10, "TCP 192.0.2.1:80 overlaps the service written at test.conf:28"));
  EXPECT_TRUE(hasError(r, 17, "TCP 192.0.2.2:80 overlaps the service written at test.conf:10"));
  EXPECT_TRUE(hasError(r, 18, "fwmark 3 overlaps the service written at test.conf:14"));
  EXPECT_TRUE(hasError(r, 32, "virtual_server_group a is already used by the TCP virtual_server"));
  EXPECT_TRUE(r.hasErrors());
}

// A TCP and a UDP service may share an address-only group; a group with marks cannot be shared
// (a mark selects every protocol). Two fwmark services with one mark collide whatever protocol.
TEST(ConfigServiceGroup, SharingAGroup) {
  auto ok = load(std::string("virtual_server_group dns {\n  192.0.2.53 53\n}\n"
                             "virtual_server group dns {\n  protocol UDP\n") +
                 kReals + "virtual_server group dns {\n  protocol TCP\n" + kReals);
  EXPECT_TRUE(isClean(ok));
  auto bad = load(std::string("virtual_server_group m {\n  192.0.2.53 53\n  fwmark 9\n}\n"
                              "virtual_server group m {\n  protocol UDP\n") +
                  kReals + "virtual_server group m {\n  protocol TCP\n" + kReals +
                  "virtual_server fwmark 4 {\n" + kReals + "virtual_server fwmark 4 {\n" +
                  "  protocol UDP\n" + kReals);
  EXPECT_TRUE(hasError(bad, 10, "has fwmarks, which select every protocol"));
  EXPECT_TRUE(hasError(bad, 19, "fwmark 4 overlaps the service written at test.conf:15"));
}

// DR cannot see a mark (netdev ingress runs before the IP stack's rules); a mark service's reals
// either all keep the packet's port or all name one.
TEST(ConfigServiceGroup, DrAndMixedPortsUnderAMarkAreRefused) {
  auto r = load(
      "virtual_server fwmark 1 {\n  lb_kind DR\n  lb_algo sh\n  real_server 198.51.100.11\n}\n"
      "virtual_server fwmark 2 {\n  real_server 198.51.100.11\n  real_server 198.51.100.12 80\n"
      "}\n");
  EXPECT_TRUE(hasError(r, 2, "a service selected by fwmark cannot use lb_kind DR"));
  EXPECT_TRUE(hasError(r, 7, "keeps the packet's port but real_server 198.51.100.12:80"));
}

}  // namespace
}  // namespace ha::director
