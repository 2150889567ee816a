// Our track_virtual_server in vrrp_instance: a VRRP instance follows a virtual server's quorum.
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/director/config/config_test_util.h"

namespace ha::director {
namespace {

using testing::hasError;
using testing::hasWarning;
using testing::isClean;
using testing::load;

// Three virtual servers (lines 1-7) and an instance from line 8 (plus `instanceExtra` lines from
// line 11); without extra lines `body` starts at line 14.
std::string withInstance(const std::string& body, const std::string& instanceExtra = "") {
  return "virtual_server 192.0.2.1 80 {\n}\n"
         "virtual_server 192.0.2.1 53 {\n  protocol UDP\n}\n"
         "virtual_server fd00:2::1 443 {\n}\n"
         "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 7\n" +
         instanceExtra + "  virtual_ipaddress {\n    192.0.2.1/24\n  }\n" + body + "}\n";
}

// Names are spelled as healthcheck::ServiceKey::str() prints them; TCP and weight 0 by default.
TEST(ConfigTrackVirtualServer, NamesAndWeights) {
  auto r = load(
      withInstance("  track_virtual_server {\n    192.0.2.1 80\n    192.0.2.1 53 UDP weight -20\n"
                   "    fd00:2::1 443 tcp weight 10\n  }\n"));
  ASSERT_TRUE(isClean(r));
  const auto& tracked = r.config.vrrp.instances[0].trackVirtualServers;
  EXPECT_EQ(tracked,
            (std::vector<vrrp::TrackedVirtualServer>{
                {"TCP 192.0.2.1:80", 0}, {"UDP 192.0.2.1:53", -20}, {"TCP [fd00:2::1]:443", 10}}));
  EXPECT_EQ(tracked[2].name,
            (healthcheck::ServiceKey{6, *IpAddress::parse("fd00:2::1"), 443}.str()));
}

// A tracked virtual server must exist (protocol included); bad entries name the token.
TEST(ConfigTrackVirtualServer, ReferencesAndEntries) {
  auto r =
      load(withInstance("  track_virtual_server {\n"           // 14
                        "    192.0.2.1 81\n"                   // 15
                        "    192.0.2.1 80 UDP\n"               // 16
                        "    192.0.2.x 80\n"                   // 17
                        "    192.0.2.1\n"                      // 18
                        "    192.0.2.1 80 SCTP\n"              // 19
                        "    192.0.2.1 80 weight 254\n"        // 20
                        "    192.0.2.1 80 weight 5 reverse\n"  // 21
                        "    192.0.2.1 80\n"                   // 22
                        "    192.0.2.1 80\n"                   // 23
                        "  }\n"));
  EXPECT_TRUE(hasError(r, 15,
                       "vrrp_instance VI_1: track_virtual_server TCP 192.0.2.1:81 names no "
                       "virtual_server of this config"));
  EXPECT_TRUE(hasError(r, 16, "track_virtual_server UDP 192.0.2.1:80 names no virtual_server"));
  EXPECT_TRUE(hasError(r, 17,
                       "invalid IP address '192.0.2.x' in track_virtual_server of "
                       "vrrp_instance VI_1"));
  EXPECT_TRUE(hasError(r, 18, "missing port for 192.0.2.1 in track_virtual_server"));
  EXPECT_TRUE(hasError(r, 19,
                       "unknown option 'SCTP' in track_virtual_server of vrrp_instance "
                       "VI_1"));
  EXPECT_TRUE(hasError(r, 20, "invalid weight '254'"));
  EXPECT_TRUE(hasError(r, 21, "'weight ... reverse' in '192.0.2.1' not supported yet"));
  EXPECT_TRUE(hasError(r, 23,
                       "vrrp_instance VI_1 tracks virtual server TCP 192.0.2.1:80 twice "
                       "(first at test.conf:22)"));
}

// Inside a sync group, weighted entries are dropped like weighted track_scripts; unweighted ones
// (FAULT while the quorum is lost) stay.
TEST(ConfigTrackVirtualServer, SyncGroupDropsWeightedEntries) {
  auto r = load(
      withInstance(
          "  track_virtual_server {\n    192.0.2.1 80 weight 10\n    192.0.2.1 53 udp\n  }\n") +
      "vrrp_sync_group G {\n  group {\n    VI_1\n  }\n}\n");
  EXPECT_TRUE(hasWarning(r, 15,
                         "vrrp_instance VI_1: track_virtual_server TCP 192.0.2.1:80 "
                         "(weight 10) ignored: keepalived ignores weights in "
                         "vrrp_sync_group G"));
  EXPECT_FALSE(r.hasErrors()) << testing::dump(r);
  EXPECT_EQ(r.config.vrrp.instances[0].trackVirtualServers,
            (std::vector<vrrp::TrackedVirtualServer>{{"UDP 192.0.2.1:53", 0}}));
}

// The address owner keeps priority 255, so a weighted entry means nothing to it.
TEST(ConfigTrackVirtualServer, OwnerDropsWeightedEntries) {
  auto r = load(withInstance("  track_virtual_server {\n    192.0.2.1 80 weight 10\n  }\n",
                             "  priority 255\n"));
  EXPECT_TRUE(hasWarning(r, 16,
                         "track_virtual_server TCP 192.0.2.1:80 (weight 10) ignored: the "
                         "address owner"));
  EXPECT_TRUE(r.config.vrrp.instances[0].trackVirtualServers.empty());
}

}  // namespace
}  // namespace ha::director
