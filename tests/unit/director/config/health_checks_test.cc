// Health-check keywords as keepalived 2.2.7 users write them: every checker kind parses into the
// exact healthcheck structs, with timing inherited virtual_server -> real_server -> checker and
// keepalived's per-kind defaults.
#include <gtest/gtest.h>

#include <chrono>

#include "tests/unit/director/config/config_test_util.h"

namespace ha::director {
namespace {

using healthcheck::CheckerConfig;
using healthcheck::CheckKind;
using healthcheck::Millis;
using healthcheck::UrlCheck;
using testing::dataPath;
using testing::hasNoErrors;
using testing::hasWarning;
using testing::isClean;
using testing::load;

IpAddress ip(std::string_view text) { return *IpAddress::parse(text); }

CheckerConfig checker(const std::string& location, CheckKind kind, std::string_view address,
                      uint16_t port) {
  CheckerConfig c;
  c.location = location;
  c.probe.kind = kind;
  c.probe.address = ip(address);
  c.probe.port = port;
  return c;
}

// The data file: every checker kind with each field set where keepalived users set it.
TEST(ConfigHealthChecks, FullConfigParsesIntoExactStructs) {
  const std::string file = dataPath("health_checks.conf");
  auto r = testing::loadFile(file);
  ASSERT_TRUE(isClean(r));
  ASSERT_EQ(r.config.virtualServers.size(), 3u);
  auto at = [&](int line) { return file + ":" + std::to_string(line); };

  const auto& web = r.config.virtualServers[0];
  EXPECT_EQ(web.delayLoopSec, 6);
  EXPECT_TRUE(web.alpha);
  EXPECT_EQ(web.quorum, 3u);
  EXPECT_EQ(web.hysteresis, 1u);
  EXPECT_EQ(web.quorumUp, "/usr/local/bin/quorum.sh up web");
  EXPECT_EQ(web.quorumDown, "/usr/local/bin/quorum.sh down web");
  ASSERT_TRUE(web.sorryServer);
  EXPECT_EQ(web.sorryServer->where, (SourceLocation{file, 25}));
  EXPECT_EQ(web.sorryServer->address, ip("10.0.0.99"));
  EXPECT_EQ(web.sorryServer->port, 8080);
  EXPECT_TRUE(web.sorryServer->inhibit);
  ASSERT_EQ(web.reals.size(), 2u);

  // Timing from the virtual server; delay_before_retry written there beats HTTP's 3 s default.
  healthcheck::CheckTiming fromService{Millis(6000), Millis(2500), 2, 2, Millis(3000)};
  auto http = checker(at(33), CheckKind::kHttp, "10.0.0.11", 8081);
  http.probe.connectTimeout = Millis(4000);
  http.probe.urls = {
      UrlCheck{"/health", {{200, 200}, {204, 204}, {300, 399}}, "9b3a0c85a887a256d6939da88aabd8cd"},
      UrlCheck{"/ready", {}, ""}};
  http.probe.virtualhost = "www.example.com";
  http.timing = fromService;
  auto tcp = checker(at(44), CheckKind::kTcp, "10.0.0.11", 8080);
  tcp.probe.connectTimeout = Millis(1500);
  tcp.timing = fromService;
  const auto& first = web.reals[0];
  EXPECT_EQ(first.checkers, (std::vector<CheckerConfig>{http, tcp}));
  EXPECT_TRUE(first.inhibitOnFailure);
  EXPECT_EQ(first.notifyUp, "/usr/local/bin/notify.sh up 10.0.0.11");
  EXPECT_EQ(first.notifyDown, "/usr/local/bin/notify.sh down 10.0.0.11");

  // The real's own retry, delay_loop and virtualhost; the global SSL files reach SSL_GET only.
  auto https = checker(at(54), CheckKind::kHttps, "10.0.0.12", 8443);
  https.probe.bindTo = ip("10.0.0.1");
  https.probe.bindPort = 40000;
  https.probe.connectTimeout = Millis(4000);
  https.probe.urls = {UrlCheck{"/health", {}, ""}};
  https.probe.virtualhost = "api.example.com";
  https.probe.enableSni = true;
  https.probe.verifyPeer = true;
  https.probe.caFile = "/etc/directord/ca.pem";
  https.probe.certFile = "/etc/directord/client.pem";
  https.probe.keyFile = "/etc/directord/client.key";
  https.timing = {Millis(2000), Millis(2500), 5, 2, Millis(3000)};
  const auto& second = web.reals[1];
  EXPECT_EQ(second.checkers, (std::vector<CheckerConfig>{https}));
  EXPECT_FALSE(second.inhibitOnFailure);

  // UDP_CHECK: keepalived's free-format hex; `warmup 0` (start at once) is 1 ms.
  auto udp = checker(at(70), CheckKind::kUdp, "10.0.0.21", 53);
  udp.probe.payload = std::string("\x01\x02\xab", 3);
  udp.probe.requireReply = std::string("\x0a\x0b\x00", 3);
  udp.timing = {Millis(60000), Millis(1000), 3, 1, Millis(1)};
  EXPECT_EQ(r.config.virtualServers[1].reals[0].checkers, (std::vector<CheckerConfig>{udp}));

  // MISC_CHECK: retry 0 by default, misc_timeout unset = the virtual server's delay_loop.
  auto misc = checker(at(81), CheckKind::kMisc, "2001:db8::21", 443);
  misc.probe.miscPath = "/usr/local/bin/check.sh --port 443";
  misc.probe.miscTimeout = Millis(5000);
  misc.probe.miscDynamic = true;
  misc.timing = {Millis(60000), Millis(1000), 0, 1, Millis(0)};
  auto unquoted = checker(at(86), CheckKind::kMisc, "2001:db8::21", 443);
  unquoted.probe.miscPath = "/usr/local/bin/other_check.sh 'a b'";
  unquoted.probe.miscTimeout = Millis(60000);
  unquoted.timing = misc.timing;
  auto v6 = checker(at(89), CheckKind::kTcp, "2001:db8::22", 443);
  v6.timing = {Millis(60000), Millis(1000), 1, 1, Millis(0)};
  EXPECT_EQ(r.config.virtualServers[2].reals[0].checkers,
            (std::vector<CheckerConfig>{misc, unquoted, v6}));
}

// Nothing written: keepalived 2.2.7's defaults per kind (retry 0 for MISC_CHECK, 3 s before an
// HTTP retry), the real's address and port, no quorum scripts, no sorry server.
TEST(ConfigHealthChecks, KeepalivedDefaultsPerKind) {
  auto r = load(
      "virtual_server 192.0.2.1 80 {\n"
      "  real_server 10.0.0.1 8080 {\n"
      "    TCP_CHECK {\n    }\n"
      "    HTTP_GET {\n      url {\n        path /\n      }\n    }\n"
      "    SSL_GET {\n      url {\n        path /\n      }\n    }\n"
      "    UDP_CHECK {\n    }\n"
      "    MISC_CHECK {\n      misc_path /bin/true\n    }\n"
      "  }\n"
      "}\n");
  ASSERT_TRUE(isClean(r));
  const auto& vs = r.config.virtualServers[0];
  EXPECT_FALSE(vs.alpha);
  EXPECT_EQ(vs.quorum, 1u);
  EXPECT_EQ(vs.hysteresis, 0u);
  EXPECT_FALSE(vs.sorryServer);
  const auto& real = vs.reals[0];
  EXPECT_FALSE(real.inhibitOnFailure);
  ASSERT_EQ(real.checkers.size(), 5u);
  const std::vector<std::pair<uint32_t, Millis>> retryAndDelay = {{1, Millis(1000)},
                                                                  {1, Millis(3000)},
                                                                  {1, Millis(3000)},
                                                                  {1, Millis(1000)},
                                                                  {0, Millis(1000)}};
  for (size_t i = 0; i < real.checkers.size(); ++i) {
    const auto& c = real.checkers[i];
    SCOPED_TRACE(std::string(healthcheck::checkKindName(c.probe.kind)));
    EXPECT_EQ(c.timing.retry, retryAndDelay[i].first);
    EXPECT_EQ(c.timing.delayBeforeRetry, retryAndDelay[i].second);
    EXPECT_EQ(c.timing.delayLoop, Millis(60000));
    EXPECT_EQ(c.timing.rise, 1u);
    EXPECT_EQ(c.timing.warmup, Millis(0));
    EXPECT_EQ(c.probe.address, ip("10.0.0.1"));
    EXPECT_EQ(c.probe.port, 8080);
    EXPECT_EQ(c.probe.connectTimeout, Millis(5000));
    EXPECT_FALSE(c.probe.bindTo);
    EXPECT_TRUE(c.probe.virtualhost.empty());
  }
  EXPECT_EQ(real.checkers[1].probe.urls, (std::vector<UrlCheck>{UrlCheck{"/", {}, ""}}));
  EXPECT_TRUE(real.checkers[3].probe.payload.empty());
  EXPECT_FALSE(real.checkers[3].probe.requireReply);
  EXPECT_EQ(real.checkers[4].probe.miscTimeout, Millis(60000));
}

// Each level overrides the one above, and virtual_server keywords written after the real_server
// blocks still reach their checkers (keepalived resolves inheritance once the block is read).
TEST(ConfigHealthChecks, TimingInheritsAcrossThreeLevelsInAnyOrder) {
  auto r = load(
      "virtual_server 192.0.2.1 80 {\n"
      "  real_server 10.0.0.1 80 {\n"
      "    delay_loop 3\n    retry 4\n    rise 3\n    virtualhost rs.example\n"
      "    HTTP_GET {\n"
      "      url {\n        path /\n      }\n"
      "      delay_loop 1.5\n      connect_timeout 0.25\n      virtualhost chk.example\n"
      "    }\n"
      "    TCP_CHECK {\n    }\n"
      "  }\n"
      "  real_server 10.0.0.2 80 {\n    HTTP_GET {\n      url {\n        path /\n      }\n"
      "    }\n  }\n"
      "  delay_loop 10\n  retry 7\n  rise 5\n  delay_before_retry 0\n  warmup 2\n"
      "  connect_timeout 9\n  virtualhost vs.example\n"
      "}\n");
  ASSERT_TRUE(isClean(r));
  const auto& vs = r.config.virtualServers[0];
  EXPECT_EQ(vs.delayLoopSec, 10);
  const auto& http = vs.reals[0].checkers[0];
  EXPECT_EQ(http.timing, (healthcheck::CheckTiming{Millis(1500), Millis(0), 4, 3, Millis(2000)}));
  EXPECT_EQ(http.probe.connectTimeout, Millis(250));
  EXPECT_EQ(http.probe.virtualhost, "chk.example");
  const auto& tcp = vs.reals[0].checkers[1];
  EXPECT_EQ(tcp.timing, (healthcheck::CheckTiming{Millis(3000), Millis(0), 4, 3, Millis(2000)}));
  EXPECT_EQ(tcp.probe.connectTimeout, Millis(9000));
  const auto& other = vs.reals[1].checkers[0];
  EXPECT_EQ(other.timing, (healthcheck::CheckTiming{Millis(10000), Millis(0), 7, 5, Millis(2000)}));
  EXPECT_EQ(other.probe.virtualhost, "vs.example");
}

// misc_timeout 0 or unset is the virtual server's delay_loop (keepalived check_misc.c), not the
// checker's own.
TEST(ConfigHealthChecks, MiscTimeoutZeroIsTheServiceDelayLoop) {
  auto r = load(
      "virtual_server 192.0.2.1 80 {\n  delay_loop 7.5\n"
      "  real_server 10.0.0.1 80 {\n"
      "    MISC_CHECK {\n      misc_path /bin/check\n      misc_timeout 0\n      delay_loop 2\n"
      "    }\n  }\n}\n");
  ASSERT_TRUE(isClean(r));
  const auto& misc = r.config.virtualServers[0].reals[0].checkers[0];
  EXPECT_EQ(misc.probe.miscTimeout, Millis(7500));
  EXPECT_EQ(misc.timing.delayLoop, Millis(2000));
}

// inhibit_on_failure in a virtual_server is the default of its reals; a real can turn it off.
TEST(ConfigHealthChecks, InhibitOnFailureDefaultsFromTheService) {
  auto r = load(
      "virtual_server 192.0.2.1 80 {\n"
      "  real_server 10.0.0.1 80\n"
      "  real_server 10.0.0.2 80 {\n    inhibit_on_failure no\n  }\n"
      "  inhibit_on_failure\n}\n"
      "virtual_server 192.0.2.1 81 {\n"
      "  real_server 10.0.0.1 80 {\n    inhibit_on_failure\n  }\n"
      "  real_server 10.0.0.2 80\n}\n");
  ASSERT_TRUE(isClean(r));
  EXPECT_TRUE(r.config.virtualServers[0].reals[0].inhibitOnFailure);
  EXPECT_FALSE(r.config.virtualServers[0].reals[1].inhibitOnFailure);
  EXPECT_TRUE(r.config.virtualServers[1].reals[0].inhibitOnFailure);
  EXPECT_FALSE(r.config.virtualServers[1].reals[1].inhibitOnFailure);
}

// A DR real with port 0 is probed on its connect_port; the sorry server defaults to the VIP port.
TEST(ConfigHealthChecks, ConnectPortForPortZeroRealsAndSorryPortDefault) {
  auto r = load(
      "static_ipaddress {\n  203.0.113.5/32 dev eth0\n}\n"
      "virtual_server 203.0.113.5 80 {\n  lb_algo sh\n  lb_kind DR\n"
      "  sorry_server 192.168.1.99\n"
      "  real_server 192.168.1.11 0 {\n    TCP_CHECK {\n      connect_port 80\n    }\n  }\n}\n");
  ASSERT_TRUE(isClean(r));
  const auto& vs = r.config.virtualServers[0];
  EXPECT_EQ(vs.reals[0].checkers[0].probe.port, 80);
  EXPECT_EQ(vs.sorryServer->port, 80);
}

// The SSL block applies to SSL_GET probes wherever it is written, and never to HTTP_GET.
TEST(ConfigHealthChecks, SslBlockAppliesToSslGetWhereverWritten) {
  auto r = load(
      "virtual_server 192.0.2.1 443 {\n  real_server 10.0.0.1 443 {\n"
      "    SSL_GET {\n      url {\n        path /\n      }\n    }\n"
      "    HTTP_GET {\n      url {\n        path /\n      }\n    }\n  }\n}\n"
      "SSL {\n  ca /ca.pem\n  password \"\"\n}\n");
  ASSERT_TRUE(isClean(r));
  const auto& checkers = r.config.virtualServers[0].reals[0].checkers;
  EXPECT_EQ(checkers[0].probe.caFile, "/ca.pem");
  EXPECT_TRUE(checkers[0].probe.certFile.empty());
  EXPECT_TRUE(checkers[1].probe.caFile.empty());
}

// Fractional seconds follow keepalived's <TIMER>, read exactly to the millisecond.
TEST(ConfigHealthChecks, FractionalDelayLoop) {
  auto r = load(
      "virtual_server 192.0.2.1 80 {\n  delay_loop 0.25\n"
      "  real_server 10.0.0.1 80 {\n    TCP_CHECK {\n      warmup 0.125\n    }\n  }\n}\n");
  ASSERT_TRUE(isClean(r));
  const auto& vs = r.config.virtualServers[0];
  EXPECT_EQ(vs.delayLoopSec, 0.25);
  EXPECT_EQ(vs.reals[0].checkers[0].timing.delayLoop, Millis(250));
  EXPECT_EQ(vs.reals[0].checkers[0].timing.warmup, Millis(125));
}

// Keywords that change nothing directord does load with a warning that says why, never as
// "not supported yet ... treated as always up".
TEST(ConfigHealthChecks, HarmlessKeywordsWarnWithTheirReason) {
  auto r = load(
      "virtual_server 192.0.2.1 80 {\n"                                   // 1
      "  omega\n  ha_suspend\n  smtp_alert\n"                             // 2-4
      "  real_server 10.0.0.1 80 {\n"                                     // 5
      "    HTTP_GET {\n"                                                  // 6
      "      url {\n        path /\n        tls_compliant\n      }\n"     // 7-10
      "      nb_get_retry 3\n      http_protocol 1.0C\n"                  // 11-12
      "      fast_recovery\n      enable_sni\n      log_all_failures\n"   // 13-15
      "    }\n"                                                           // 16
      "    UDP_CHECK {\n      require_reply\n      min_reply_length 2\n"  // 17-19
      "      max_reply_length 300\n    }\n"                               // 20-21
      "    MISC_CHECK {\n      misc_path /bin/x\n      user nobody\n"     // 22-24
      "    }\n"                                                           // 25
      "    notify_up \"/bin/up\" nobody\n"                                // 26
      "  }\n}\n");
  EXPECT_TRUE(hasNoErrors(r));
  EXPECT_TRUE(hasWarning(r, 2, "keyword 'omega' ignored: quorum_down and notify_down"));
  EXPECT_TRUE(hasWarning(r, 3, "keyword 'ha_suspend' ignored"));
  EXPECT_TRUE(hasWarning(r, 4, "keyword 'smtp_alert' ignored: no mail"));
  EXPECT_TRUE(hasWarning(r, 9, "keyword 'tls_compliant' in HTTP_GET of real_server 10.0.0.1:80"));
  EXPECT_TRUE(hasWarning(r, 11, "'nb_get_retry' is deprecated (keepalived); read as 'retry'"));
  EXPECT_TRUE(hasWarning(r, 12, "keyword 'http_protocol' in HTTP_GET"));
  EXPECT_TRUE(hasWarning(r, 13, "keyword 'fast_recovery' in HTTP_GET"));
  EXPECT_TRUE(hasWarning(r, 14,
                         "keyword 'enable_sni' in HTTP_GET of real_server 10.0.0.1:80 "
                         "ignored: HTTP_GET speaks no TLS"));
  EXPECT_TRUE(hasWarning(r, 15, "keyword 'log_all_failures' in HTTP_GET"));
  EXPECT_TRUE(hasWarning(r, 19, "keyword 'min_reply_length' in UDP_CHECK"));
  EXPECT_TRUE(hasWarning(r, 20, "keyword 'max_reply_length' in UDP_CHECK"));
  EXPECT_TRUE(hasWarning(r, 24,
                         "keyword 'user' in MISC_CHECK of real_server 10.0.0.1:80 "
                         "ignored: directord runs scripts as root"));
  EXPECT_TRUE(hasWarning(r, 26, "user 'nobody' for 'notify_up' in real_server 10.0.0.1:80"));
  EXPECT_EQ(testing::problemCount(r), 13u) << testing::dump(r);
  const auto& checkers = r.config.virtualServers[0].reals[0].checkers;
  ASSERT_EQ(checkers.size(), 3u);
  EXPECT_EQ(checkers[0].timing.retry, 3u);
  EXPECT_FALSE(checkers[0].probe.enableSni);
  EXPECT_EQ(checkers[1].probe.requireReply, std::string());
  for (const auto& d : r.diagnostics) {
    EXPECT_EQ(d.message.find("health-check issue"), std::string::npos) << d.str();
  }
}

// A second misc_dynamic checker on one real warns, as keepalived does.
TEST(ConfigHealthChecks, SecondDynamicMiscCheckWarns) {
  auto r = load(
      "virtual_server 192.0.2.1 80 {\n  real_server 10.0.0.1 80 {\n"
      "    MISC_CHECK {\n      misc_path /bin/a\n      misc_dynamic\n    }\n"
      "    MISC_CHECK {\n      misc_path /bin/b\n      misc_dynamic\n    }\n  }\n}\n");
  EXPECT_TRUE(hasNoErrors(r));
  EXPECT_TRUE(hasWarning(r, 9, "second misc_dynamic MISC_CHECK on the same real_server"));
  EXPECT_EQ(r.config.virtualServers[0].reals[0].checkers.size(), 2u);
}

}  // namespace
}  // namespace ha::director
