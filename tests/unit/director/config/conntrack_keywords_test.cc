// lvs_timeouts (global_defs and virtual_server), persistence_granularity and ops: mapping,
// resolution into the plan, and every bad input refused at its file:line.
#include <gtest/gtest.h>

#include "tests/unit/director/config/config_test_util.h"

namespace ha::director {
namespace {

using testing::hasError;
using testing::isClean;
using testing::load;

// Every malformed lvs_timeouts is an error at its line, and the statement sets nothing.
TEST(ConfigConntrackKeywords, BadLvsTimeoutsAreErrorsAndSetNothing) {
  auto r = load(
      "global_defs {\n"
      "  lvs_timeouts\n"                 // 2: no option
      "  lvs_timeouts tcp\n"             // 3: no value
      "  lvs_timeouts tcp 10 tcpfn 5\n"  // 4: unknown option
      "  lvs_timeouts udp -1\n"          // 5: not a number
      "  lvs_timeouts udp 2678401\n"     // 6: more than 31 days
      "  lvs_timeouts tcp 10 tcp 20\n"   // 7: twice
      "  lvs_timeouts tcp 1e3\n"         // 8
      "}\n");
  EXPECT_TRUE(hasError(r, 2, "lvs_timeouts [tcp SECS] [tcpfin SECS] [udp SECS]"));
  EXPECT_TRUE(hasError(r, 3, "lvs_timeouts [tcp SECS] [tcpfin SECS] [udp SECS]"));
  EXPECT_TRUE(
      hasError(r, 4, "unknown option 'tcpfn' for 'lvs_timeouts': expected tcp, tcpfin or udp"));
  EXPECT_TRUE(hasError(r, 5, "invalid value '-1' for 'lvs_timeouts udp'"));
  EXPECT_TRUE(hasError(
      r, 6, "invalid value '2678401' for 'lvs_timeouts udp': expected seconds, 0 to 2678400"));
  EXPECT_TRUE(hasError(r, 7, "lvs_timeouts tcp given twice"));
  EXPECT_TRUE(hasError(r, 8, "invalid value '1e3' for 'lvs_timeouts tcp'"));
  // Line 4's valid "tcp 10" is not applied either: a refused statement changes nothing.
  EXPECT_EQ(r.config.globals.lvsTimeouts, LvsTimeouts{});
  EXPECT_TRUE(r.hasErrors());
}

// IPv4 takes a dotted netmask (keepalived allows non-solid ones), IPv6 a prefix length.
TEST(ConfigConntrackKeywords, PersistenceGranularityByFamily) {
  auto r = load(
      "virtual_server 192.0.2.1 80 {\n  persistence_timeout 60\n  persistence_granularity "
      "255.255.255.0\n}\n"
      "virtual_server fd00::1 80 {\n  persistence_timeout 60\n  persistence_granularity 64\n}\n"
      "virtual_server 192.0.2.1 81 {\n  persistence_granularity 255.0.255.0\n}\n");
  ASSERT_TRUE(isClean(r));
  EXPECT_EQ(r.config.virtualServers[0].persistenceGranularity->str(), "255.255.255.0");
  EXPECT_EQ(r.config.virtualServers[1].persistenceGranularity->str(), "ffff:ffff:ffff:ffff::");
  EXPECT_EQ(r.config.virtualServers[2].persistenceGranularity->str(), "255.0.255.0");
}

// A mask of the other family, a bad mask and a prefix out of 1..128 are refused at their line.
TEST(ConfigConntrackKeywords, BadPersistenceGranularityIsRefused) {
  auto r = load(
      "virtual_server 192.0.2.1 80 {\n  persistence_granularity 24\n}\n"
      "virtual_server fd00::1 80 {\n  persistence_granularity 255.255.255.0\n}\n"
      "virtual_server 192.0.2.1 81 {\n  persistence_granularity 255.255.255.256\n}\n"
      "virtual_server fd00::1 81 {\n  persistence_granularity 129\n}\n"
      "virtual_server fd00::1 82 {\n  persistence_granularity 0\n}\n"
      "virtual_server fd00::1 83 {\n  persistence_granularity\n}\n");
  EXPECT_TRUE(hasError(r, 2,
                       "persistence_granularity 24 does not fit the IPv4 virtual_server 192.0.2.1: "
                       "expected a netmask like 255.255.255.0"));
  EXPECT_TRUE(hasError(
      r, 5, "does not fit the IPv6 virtual_server fd00::1: expected a prefix length 1-128"));
  EXPECT_TRUE(hasError(r, 8, "invalid value '255.255.255.256' for 'persistence_granularity'"));
  EXPECT_TRUE(hasError(r, 11, "invalid value '129' for 'persistence_granularity'"));
  EXPECT_TRUE(hasError(r, 14, "invalid value '0' for 'persistence_granularity'"));
  EXPECT_TRUE(hasError(r, 17, "persistence_granularity NETMASK|PREFIXLEN"));
  for (const auto& vs : r.config.virtualServers) EXPECT_FALSE(vs.persistenceGranularity);
}

// ops is accepted on UDP, refused on TCP at the ops line (whichever comes first in the block).
TEST(ConfigConntrackKeywords, OpsIsUdpOnly) {
  auto r = load(
      "virtual_server 192.0.2.1 53 {\n  ops\n  protocol UDP\n}\n"
      "virtual_server 192.0.2.1 80 {\n  ops\n}\n"
      "virtual_server 192.0.2.1 81 {\n  protocol TCP\n  ops\n}\n"
      "virtual_server 192.0.2.1 54 {\n  protocol UDP\n  ops 1\n}\n");
  EXPECT_TRUE(r.config.virtualServers[0].oneShot);
  EXPECT_TRUE(hasError(r, 6,
                       "ops (one-packet scheduling) on the TCP virtual_server 192.0.2.1 80: a TCP "
                       "connection needs every segment at one real; ops is for UDP only"));
  EXPECT_TRUE(
      hasError(r, 10, "ops (one-packet scheduling) on the TCP virtual_server 192.0.2.1 81"));
  EXPECT_TRUE(hasError(r, 14, "ops"));
}

}  // namespace
}  // namespace ha::director
