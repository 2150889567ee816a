// virtual_server / real_server keywords, their defaults, aliases and per-statement errors.
#include <gtest/gtest.h>

#include "tests/unit/director/config/config_test_util.h"

namespace ha::director {
namespace {

using testing::hasError;
using testing::hasNoErrors;
using testing::hasWarning;
using testing::isClean;
using testing::load;

// A bare service gets keepalived's defaults: TCP, wlc (with keepalived's note), NAT, weight 1,
// delay_loop 60, no persistence.
TEST(ConfigVirtualServer, DefaultsFollowKeepalived) {
  auto r = load("virtual_server 192.0.2.1 80 {\n  real_server 10.0.0.1 8080\n}\n");
  ASSERT_TRUE(isClean(r));
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].str(),
            "test.conf:1: note: TCP 192.0.2.1:80: no scheduler set, setting default 'wlc' (as "
            "keepalived; the same for every virtual_server without lb_algo)");
  ASSERT_EQ(r.config.virtualServers.size(), 1u);
  const auto& vs = r.config.virtualServers[0];
  EXPECT_EQ(vs.where, (SourceLocation{"test.conf", 1}));
  EXPECT_EQ(vs.vip.str(), "192.0.2.1");
  EXPECT_EQ(vs.port, 80);
  EXPECT_EQ(vs.protocol, Protocol::kTcp);
  EXPECT_EQ(vs.scheduler, "wlc");
  EXPECT_EQ(vs.mode, ForwardMode::kNat);
  EXPECT_EQ(vs.delayLoopSec, 60);
  EXPECT_FALSE(vs.persistenceTimeoutSec);
  EXPECT_EQ(vs.mhTableSize, 0u);
  ASSERT_EQ(vs.reals.size(), 1u);
  EXPECT_EQ(vs.reals[0].weight, 1u);
  EXPECT_EQ(vs.reals[0].port, 8080);
}

// keepalived's older names lvs_sched / lvs_method work, and FULLNAT means FNAT.
TEST(ConfigVirtualServer, AcceptsKeepalivedAliases) {
  auto r = load(
      "local_address_group g {\n  192.0.2.100\n}\n"
      "virtual_server 192.0.2.1 80 {\n  lvs_sched wrr\n  lvs_method FULLNAT\n"
      "  laddr_group_name g\n  protocol udp\n  real_server 10.0.0.1 80\n}\n");
  ASSERT_TRUE(isClean(r));
  const auto& vs = r.config.virtualServers[0];
  EXPECT_EQ(vs.scheduler, "wrr");
  EXPECT_EQ(vs.mode, ForwardMode::kFullNat);
  EXPECT_EQ(vs.protocol, Protocol::kUdp);
  EXPECT_EQ(vs.laddrGroup, "g");
}

// persistence_timeout 0 is off; without a value it is IPVS's 360 s; delay_loop takes fractions.
TEST(ConfigVirtualServer, PersistenceAndDelayLoop) {
  auto r = load(
      "virtual_server 192.0.2.1 80 {\n  persistence_timeout 0\n}\n"
      "virtual_server 192.0.2.1 81 {\n  persistence_timeout\n  delay_loop 0.5\n}\n"
      "virtual_server 192.0.2.1 82 {\n  persistence_timeout 1800\n}\n");
  ASSERT_TRUE(isClean(r));
  EXPECT_FALSE(r.config.virtualServers[0].persistenceTimeoutSec);
  EXPECT_EQ(r.config.virtualServers[1].persistenceTimeoutSec, 360u);
  EXPECT_EQ(r.config.virtualServers[1].delayLoopSec, 0.5);
  EXPECT_EQ(r.config.virtualServers[2].persistenceTimeoutSec, 1800u);
}

// mh_table_size must be a prime in 2..1000003; sh-port/mh-port are stored as scheduler flags.
TEST(ConfigVirtualServer, MaglevTableSizeAndFlags) {
  auto r = load(
      "virtual_server 192.0.2.1 80 {\n  lb_algo mh\n  mh_table_size 1000003\n  mh-port\n}\n"
      "virtual_server 192.0.2.1 81 {\n  lb_algo mh\n  mh_table_size 4096\n}\n"
      "virtual_server 192.0.2.1 82 {\n  lb_algo mh\n  mh_table_size 1000033\n}\n"
      "virtual_server 192.0.2.1 83 {\n  lb_algo mh\n  mh_table_size 1\n}\n");
  EXPECT_EQ(r.config.virtualServers[0].mhTableSize, 1000003u);
  EXPECT_EQ(r.config.virtualServers[0].schedulerFlags, (std::set<std::string>{"mh-port"}));
  EXPECT_TRUE(hasError(r, 8, "invalid value '4096' for 'mh_table_size': expected a prime"));
  EXPECT_TRUE(hasError(
      r, 12, "invalid value '1000033' for 'mh_table_size': expected an integer in 2..1000003"));
  EXPECT_TRUE(hasError(r, 16, "invalid value '1' for 'mh_table_size'"));
  EXPECT_EQ(r.config.virtualServers[1].mhTableSize, 0u);
}

// Schedulers outside the registry are refused by name, IPVS's own with their reason.
TEST(ConfigVirtualServer, UnknownSchedulerIsAnError) {
  auto r = load("virtual_server 192.0.2.1 80 {\n  lb_algo twos\n  lb_algo lblc\n}\n");
  EXPECT_TRUE(hasError(r, 2,
                       "scheduler 'twos' for 'lb_algo' not supported: expected one of rr, wrr, sh, "
                       "mh, fo, lc, wlc, sed, nq, ovf"));
  EXPECT_TRUE(
      hasError(r, 3, "scheduler 'lblc' for 'lb_algo' not supported: locality-based schedulers"));
}

// Every IPVS scheduler directord builds is accepted under its IPVS name.
TEST(ConfigVirtualServer, ConnectionCountSchedulersLoad) {
  for (const char* name : {"lc", "wlc", "sed", "nq", "ovf", "fo"}) {
    auto r = load(std::string("virtual_server 192.0.2.1 80 {\n  lb_algo ") + name + "\n}\n");
    EXPECT_FALSE(r.hasErrors()) << name;
    ASSERT_EQ(r.config.virtualServers.size(), 1u);
    EXPECT_EQ(r.config.virtualServers[0].scheduler, name);
  }
}

// Bad modes and protocols name the keyword and the token; SCTP is known but not built.
TEST(ConfigVirtualServer, BadModeAndProtocol) {
  auto r =
      load("virtual_server 192.0.2.1 80 {\n  lb_kind MASQ\n  protocol ICMP\n  protocol SCTP\n}\n");
  EXPECT_TRUE(hasError(r, 2, "invalid value 'MASQ' for 'lb_kind'"));
  EXPECT_TRUE(hasError(r, 3, "invalid value 'ICMP' for 'protocol': expected TCP or UDP"));
  EXPECT_TRUE(hasError(r, 4, "protocol SCTP not supported yet"));
}

// Health-check keywords are read, not skipped: no "arrives with the health-check issue" warning,
// and a mistake inside a checker is an error. Connection thresholds still only warn.
TEST(ConfigVirtualServer, HealthChecksAreReadNotSkipped) {
  auto r = load(
      "virtual_server 192.0.2.1 80 {\n"
      "  real_server 10.0.0.1 80 {\n"
      "    TCP_CHECK {\n      connect_timeout 3\n      no_such_thing 1\n    }\n"
      "    HTTP_GET {\n      url {\n        path /\n      }\n    }\n"
      "    inhibit_on_failure\n    notify_up /bin/up\n"
      "    uthreshold 100\n"
      "  }\n"
      "  quorum 2\n"
      "}\n");
  EXPECT_TRUE(hasError(r, 5,
                       "unknown keyword 'no_such_thing' in TCP_CHECK of real_server "
                       "10.0.0.1:80"));
  EXPECT_TRUE(hasWarning(r, 14, "keyword 'uthreshold' not supported yet: connection thresholds"));
  EXPECT_EQ(testing::problemCount(r), 2u) << testing::dump(r);
  const auto& vs = r.config.virtualServers[0];
  EXPECT_EQ(vs.quorum, 2u);
  ASSERT_EQ(vs.reals.size(), 1u);
  EXPECT_TRUE(vs.reals[0].inhibitOnFailure);
  EXPECT_EQ(vs.reals[0].notifyUp, "/bin/up");
  ASSERT_EQ(vs.reals[0].checkers.size(), 1u);  // the TCP_CHECK with a mistake is not kept
  EXPECT_EQ(vs.reals[0].checkers[0].probe.kind, healthcheck::CheckKind::kHttp);
}

// sh-fallback / mh-fallback load with a warning.
TEST(ConfigVirtualServer, FallbackFlagsWarn) {
  auto r = load("virtual_server 192.0.2.1 80 {\n  lb_algo sh\n  sh-fallback\n}\n");
  EXPECT_TRUE(hasNoErrors(r));
  EXPECT_TRUE(hasWarning(r, 3, "keyword 'sh-fallback' not supported yet"));
}

// Keywords we cannot classify inside a service or a real are errors naming the block.
TEST(ConfigVirtualServer, UnknownKeywordsAreErrors) {
  auto r = load(
      "virtual_server 192.0.2.1 80 {\n  lb_algoo rr\n  persistence_engine sip\n"
      "  real_server 10.0.0.1 80 {\n    wieght 2\n  }\n}\n");
  EXPECT_TRUE(hasError(r, 2, "unknown keyword 'lb_algoo' in virtual_server"));
  EXPECT_TRUE(hasError(r, 3, "keyword 'persistence_engine' in virtual_server not supported yet"));
  EXPECT_TRUE(hasError(r, 5, "unknown keyword 'wieght' in real_server"));
}

// Bad addresses, ports and numbers name the keyword and the bad token.
TEST(ConfigVirtualServer, BadTokensNameKeywordAndToken) {
  auto r = load(
      "virtual_server 192.0.2.300 80 {\n}\n"
      "virtual_server 192.0.2.1 65536 {\n}\n"
      "virtual_server 192.0.2.1 0 {\n}\n"
      "virtual_server 192.0.2.1 80 {\n"
      "  real_server 10.0.0.x 80\n"
      "  real_server 10.0.0.1 http\n"
      "  real_server 10.0.0.2 80 {\n    weight 65536\n  }\n"
      "  real_server 10.0.0.3 80 {\n    weight -1\n  }\n"
      "  delay_loop fast\n"
      "  persistence_timeout 1e3\n"
      "}\n");
  EXPECT_TRUE(hasError(r, 1, "invalid IP address '192.0.2.300' for 'virtual_server'"));
  EXPECT_TRUE(hasError(r, 3, "invalid port '65536' for 'virtual_server': expected 1..65535"));
  EXPECT_TRUE(hasError(r, 5, "invalid port '0' for 'virtual_server'"));
  EXPECT_TRUE(hasError(r, 8, "invalid IP address '10.0.0.x' for 'real_server'"));
  EXPECT_TRUE(hasError(r, 9, "invalid port 'http' for 'real_server': expected 0..65535"));
  EXPECT_TRUE(
      hasError(r, 11, "invalid value '65536' for 'weight': expected an integer in 0..65535"));
  EXPECT_TRUE(hasError(r, 14, "invalid value '-1' for 'weight'"));
  EXPECT_TRUE(hasError(r, 16, "invalid value 'fast' for 'delay_loop'"));
  EXPECT_TRUE(hasError(r, 17, "invalid value '1e3' for 'persistence_timeout'"));
}

// Missing and extra arguments are errors with the usage; block keywords need their block.
TEST(ConfigVirtualServer, ArgumentCountsAndBlocks) {
  auto r = load(
      "virtual_server 192.0.2.1\n"
      "virtual_server 192.0.2.1 80 extra {\n}\n"
      "virtual_server 192.0.2.1 80\n"
      "virtual_server 192.0.2.1 81 {\n"
      "  lb_algo\n"
      "  lb_kind NAT DR\n"
      "  real_server 10.0.0.1 80 {\n    weight\n  }\n"
      "  sh-port now\n"
      "  protocol TCP {\n  }\n"
      "}\n");
  EXPECT_TRUE(
      hasError(r, 1, "missing argument for 'virtual_server' (usage: virtual_server IP PORT"));
  EXPECT_TRUE(hasError(r, 2, "extra argument 'extra' for 'virtual_server'"));
  EXPECT_TRUE(hasError(r, 4, "'virtual_server' needs a { } block"));
  EXPECT_TRUE(hasError(r, 6, "missing argument for 'lb_algo'"));
  EXPECT_TRUE(hasError(r, 7, "extra argument 'DR' for 'lb_kind'"));
  EXPECT_TRUE(hasError(r, 9, "missing argument for 'weight' (usage: weight N)"));
  EXPECT_TRUE(hasError(r, 11, "extra argument 'now' for 'sh-port'"));
  EXPECT_TRUE(hasError(r, 12, "'protocol' takes no { } block"));
}

// Weight 0 (drained) and 65535 are both in range.
TEST(ConfigVirtualServer, WeightBounds) {
  auto r = load(
      "virtual_server 192.0.2.1 80 {\n  real_server 10.0.0.1 80 {\n    weight 0\n  }\n"
      "  real_server 10.0.0.2 80 {\n    weight 65535\n  }\n}\n");
  ASSERT_TRUE(isClean(r));
  EXPECT_EQ(r.config.virtualServers[0].reals[0].weight, 0u);
  EXPECT_EQ(r.config.virtualServers[0].reals[1].weight, 65535u);
}

}  // namespace
}  // namespace ha::director
