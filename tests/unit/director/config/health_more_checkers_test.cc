// SMTP_CHECK, DNS_CHECK, PING_CHECK, FILE_CHECK and the top-level track_file block: every keyword
// into its exact field, keepalived 2.2.7's defaults, and each bad value refused at its file:line.
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/director/config/config_test_util.h"

namespace ha::director {
namespace {

using healthcheck::CheckKind;
using testing::hasError;
using testing::hasWarning;
using testing::load;
using namespace std::chrono_literals;

// One real_server at line 2 of a service; `body` starts at line 3.
LoadResult loadReal(const std::string& body, const std::string& after = "") {
  return load("virtual_server 192.0.2.1 25 {\n  real_server 10.0.0.1 25 {\n" + body + "  }\n}\n" +
              after);
}

const RealServerConfig& firstReal(const LoadResult& r) {
  return r.config.virtualServers.at(0).reals.at(0);
}

// SMTP_CHECK: helo_name and the connection keywords, keepalived's timing defaults.
TEST(ConfigMoreCheckers, SmtpCheckKeywords) {
  auto r = loadReal(
      "    SMTP_CHECK {\n      helo_name \"mx.example\"\n      connect_ip 10.0.0.9\n"
      "      connect_port 587\n      bindto 10.0.0.254\n      bind_port 2525\n"
      "      connect_timeout 3\n      retry 2\n      delay_before_retry 5\n      warmup 2\n"
      "      delay_loop 7\n    }\n");
  ASSERT_FALSE(r.hasErrors()) << testing::dump(r);
  const auto& c = firstReal(r).checkers.at(0);
  EXPECT_EQ(c.location, "test.conf:3");
  EXPECT_EQ(c.probe.kind, CheckKind::kSmtp);
  EXPECT_EQ(c.probe.heloName, "mx.example");
  EXPECT_EQ(c.probe.address.str(), "10.0.0.9");
  EXPECT_EQ(c.probe.port, 587);
  EXPECT_EQ(c.probe.bindTo->str(), "10.0.0.254");
  EXPECT_EQ(c.probe.bindPort, 2525);
  EXPECT_EQ(c.probe.connectTimeout, 3s);
  EXPECT_EQ(c.timing.retry, 2u);
  EXPECT_EQ(c.timing.delayBeforeRetry, 5s);
  EXPECT_EQ(c.timing.warmup, 2s);
  EXPECT_EQ(c.timing.delayLoop, 7s);
}

// Without helo_name, keepalived's smtpchecker.keepalived.org; the real's address and port.
TEST(ConfigMoreCheckers, SmtpDefaults) {
  auto r = loadReal("    SMTP_CHECK {\n    }\n");
  ASSERT_FALSE(r.hasErrors()) << testing::dump(r);
  const auto& c = firstReal(r).checkers.at(0);
  EXPECT_EQ(c.probe.heloName, "smtpchecker.keepalived.org");
  EXPECT_EQ(c.probe.address.str(), "10.0.0.1");
  EXPECT_EQ(c.probe.port, 25);
  EXPECT_EQ(c.timing.retry, 1u);
  EXPECT_EQ(c.timing.delayBeforeRetry, 1s);
}

// The legacy host blocks (keepalived 2.2.7 still reads them): one checker per host, sharing the
// block's helo_name and timing; the block's own target is checked only when it names one.
TEST(ConfigMoreCheckers, SmtpHostBlocksAreCheckersOfTheirOwn) {
  auto r = loadReal(
      "    SMTP_CHECK {\n      connect_timeout 10\n      retry 2\n      helo_name foo.bar\n"
      "      host {\n        connect_ip 10.0.0.1\n      }\n"
      "      host {\n        connect_ip 10.0.1.1\n        connect_port 587\n"
      "        bindto 10.0.1.2\n        connect_timeout 4\n        delay_before_retry 9\n"
      "      }\n    }\n");
  ASSERT_FALSE(r.hasErrors()) << testing::dump(r);
  const auto& checkers = firstReal(r).checkers;
  ASSERT_EQ(checkers.size(), 2u);
  EXPECT_EQ(checkers[0].location, "test.conf:7");
  EXPECT_EQ(checkers[0].probe.address.str(), "10.0.0.1");
  EXPECT_EQ(checkers[0].probe.port, 25);
  EXPECT_EQ(checkers[0].probe.connectTimeout, 10s);
  EXPECT_EQ(checkers[1].location, "test.conf:10");
  EXPECT_EQ(checkers[1].probe.address.str(), "10.0.1.1");
  EXPECT_EQ(checkers[1].probe.port, 587);
  EXPECT_EQ(checkers[1].probe.bindTo->str(), "10.0.1.2");
  EXPECT_EQ(checkers[1].probe.connectTimeout, 4s);
  for (const auto& c : checkers) {
    EXPECT_EQ(c.probe.heloName, "foo.bar");
    EXPECT_EQ(c.timing.retry, 2u);
    EXPECT_EQ(c.timing.delayBeforeRetry, 9s);  // timing in a host block is the checker's
  }

  auto own = loadReal(
      "    SMTP_CHECK {\n      connect_ip 10.0.0.5\n      host {\n        connect_ip 10.0.1.1\n"
      "      }\n    }\n");
  ASSERT_FALSE(own.hasErrors()) << testing::dump(own);
  ASSERT_EQ(firstReal(own).checkers.size(), 2u);
  EXPECT_EQ(firstReal(own).checkers[0].probe.address.str(), "10.0.0.5");
  EXPECT_EQ(firstReal(own).checkers[1].probe.address.str(), "10.0.1.1");
}

// Bad SMTP values: each at its line; the checker is dropped.
TEST(ConfigMoreCheckers, SmtpBadValues) {
  auto r = loadReal(
      "    SMTP_CHECK {\n      helo_name\n      helo_name \"two words\"\n"
      "      host {\n        helo_name x\n        connect_ip nope\n      }\n"
      "      misc_path /bin/true\n    }\n");
  EXPECT_TRUE(hasError(r, 4, "missing argument for 'helo_name'"));
  EXPECT_TRUE(hasError(r, 5,
                       "invalid helo_name 'two words' in SMTP_CHECK of real_server "
                       "10.0.0.1:25: expected one word of printable characters"));
  EXPECT_TRUE(hasError(r, 7, "keyword 'helo_name' is not valid in host block of SMTP_CHECK"));
  EXPECT_TRUE(hasError(r, 8, "nope"));
  EXPECT_TRUE(hasError(r, 10, "unknown keyword 'misc_path' in SMTP_CHECK"));
  EXPECT_TRUE(firstReal(r).checkers.empty());
}

// DNS_CHECK: type (any case), name, keepalived's retry 3 and delay_before_retry = delay_loop.
TEST(ConfigMoreCheckers, DnsCheckKeywordsAndDefaults) {
  auto r = load(
      "virtual_server 192.0.2.1 53 {\n  protocol UDP\n  delay_loop 4\n"
      "  real_server 10.0.0.1 53 {\n    DNS_CHECK {\n      type aaaa\n      name www.Example.org.\n"
      "      connect_timeout 2\n    }\n    DNS_CHECK {\n    }\n  }\n"
      "  real_server 10.0.0.2 53 {\n    DNS_CHECK {\n      type MX\n      retry 1\n"
      "      delay_before_retry 1\n    }\n  }\n}\n"
      "static_ipaddress {\n  192.0.2.2/32 dev lo\n}\n"
      "virtual_server 192.0.2.2 53 {\n  protocol UDP\n  lb_kind DR\n  lb_algo sh\n"
      "  real_server 10.0.0.3 0 {\n    DNS_CHECK {\n    }\n    PING_CHECK {\n    }\n  }\n}\n");
  ASSERT_FALSE(r.hasErrors()) << testing::dump(r);
  const auto& reals = r.config.virtualServers.at(0).reals;
  const auto& a = reals.at(0).checkers.at(0);
  EXPECT_EQ(a.probe.kind, CheckKind::kDns);
  EXPECT_EQ(a.probe.dnsType, 28);
  EXPECT_EQ(a.probe.dnsName, "www.Example.org");
  EXPECT_EQ(a.probe.port, 53);
  EXPECT_EQ(a.probe.connectTimeout, 2s);
  EXPECT_EQ(a.timing.retry, 3u);
  EXPECT_EQ(a.timing.delayBeforeRetry, 4s);
  const auto& d = reals.at(0).checkers.at(1);
  EXPECT_EQ(d.probe.dnsType, 6);   // SOA
  EXPECT_EQ(d.probe.dnsName, "");  // the root
  const auto& m = reals.at(1).checkers.at(0);
  EXPECT_EQ(m.probe.dnsType, 15);
  const auto& dr = r.config.virtualServers.at(1).reals.at(0).checkers.at(0);
  EXPECT_EQ(dr.probe.port, 53);  // a real on port 0 (DR): the DNS port
  const auto& drPing = r.config.virtualServers.at(1).reals.at(0).checkers.at(1);
  EXPECT_EQ(drPing.probe.port, 0);  // a real on port 0 needs no connect_port for ICMP
  EXPECT_EQ(m.timing.retry, 1u);
  EXPECT_EQ(m.timing.delayBeforeRetry, 1s);
}

// Bad DNS values: unknown types, empty or oversized labels, a name given twice.
TEST(ConfigMoreCheckers, DnsBadValues) {
  auto r = loadReal(
      "    DNS_CHECK {\n      type ANY\n      name a..b\n      name x\n    }\n"
      "    DNS_CHECK {\n      name .a\n      type A\n      type NS\n    }\n"
      "    DNS_CHECK {\n      name " +
      std::string(64, 'a') +
      ".org\n    }\n"
      "    DNS_CHECK {\n      name " +
      std::string(130, 'a') + "." + std::string(130, 'b') + "\n    }\n");
  EXPECT_TRUE(hasError(r, 4, "unknown DNS_CHECK type 'ANY'"));
  EXPECT_TRUE(hasError(r, 5,
                       "invalid DNS_CHECK name 'a..b' in DNS_CHECK of real_server "
                       "10.0.0.1:25: it has an empty label"));
  EXPECT_TRUE(hasError(r, 6, "'name' given twice"));
  EXPECT_TRUE(hasError(r, 9, "it has an empty label"));
  EXPECT_TRUE(hasError(r, 11, "'type' given twice"));
  EXPECT_TRUE(hasError(r, 14, "a label is longer than 63 characters"));
  EXPECT_TRUE(hasError(r, 17, "a label is longer than 63 characters"));
  EXPECT_TRUE(firstReal(r).checkers.empty());
}

// PING_CHECK: the address (connect_ip), bindto, timing; ports mean nothing to ICMP and warn.
TEST(ConfigMoreCheckers, PingCheck) {
  auto r = load(
      "virtual_server 10.10.10.2 1358 {\n  protocol UDP\n"
      "  real_server 192.168.200.6 1358 {\n    PING_CHECK {\n      retry 4\n"
      "      connect_ip 192.168.200.7\n      bindto 192.168.200.1\n      connect_port 9\n"
      "      connect_timeout 1.5\n    }\n  }\n}\n"
      "virtual_server fd00::1 1358 {\n  protocol UDP\n"
      "  real_server fd00::6 1358 {\n    PING_CHECK {\n    }\n  }\n}\n");
  ASSERT_FALSE(r.hasErrors()) << testing::dump(r);
  EXPECT_TRUE(hasWarning(r, 8,
                         "keyword 'connect_port' in PING_CHECK of real_server "
                         "192.168.200.6:1358 ignored: ICMP echo has no port"));
  const auto& c = r.config.virtualServers.at(0).reals.at(0).checkers.at(0);
  EXPECT_EQ(c.probe.kind, CheckKind::kPing);
  EXPECT_EQ(c.probe.address.str(), "192.168.200.7");
  EXPECT_EQ(c.probe.port, 0);
  EXPECT_EQ(c.probe.bindTo->str(), "192.168.200.1");
  EXPECT_EQ(c.probe.connectTimeout, 1500ms);
  EXPECT_EQ(c.timing.retry, 4u);
  const auto& v6 = r.config.virtualServers.at(1).reals.at(0).checkers.at(0);
  EXPECT_EQ(v6.probe.address.str(), "fd00::6");
  EXPECT_EQ(v6.probe.port, 0);
}

// track_file + FILE_CHECK: the file, its weights (FILE_CHECK's over track_file's), init_file; a
// track_file may be written after the virtual_server that uses it.
TEST(ConfigMoreCheckers, TrackFileAndFileCheck) {
  auto r = loadReal(
      "    FILE_CHECK {\n      track_file T1\n    }\n"
      "    FILE_CHECK {\n      track_file T2\n      weight -7 reverse\n    }\n",
      "track_file T1 {\n  file /var/lib/directord/track-files/t1\n  weight 5 reverse\n  init_file "
      "3 overwrite\n}\n"
      "track_file T2 {\n  file \"/run/ha/t 2\"\n  init_file\n}\n");
  ASSERT_FALSE(r.hasErrors()) << testing::dump(r);
  const auto& files = firstReal(r).fileChecks;
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].location, "test.conf:3");
  EXPECT_EQ(files[0].trackName, "T1");
  EXPECT_EQ(files[0].path, "/var/lib/directord/track-files/t1");  // longer than SSO
  EXPECT_EQ(files[0].weight, 5);
  EXPECT_TRUE(files[0].reverse);
  EXPECT_EQ(files[1].path, "/run/ha/t 2");
  EXPECT_EQ(files[1].weight, -7);
  EXPECT_TRUE(files[1].reverse);
  EXPECT_TRUE(firstReal(r).checkers.empty());
  ASSERT_EQ(r.config.trackFiles.size(), 2u);
  EXPECT_EQ(r.config.trackFiles[0].init, 3);
  EXPECT_TRUE(r.config.trackFiles[0].overwrite);
  EXPECT_EQ(r.config.trackFiles[1].init, 0);
  EXPECT_FALSE(r.config.trackFiles[1].overwrite);
  EXPECT_EQ(r.config.trackFiles[1].weight, 1);
}

// Bad track_file and FILE_CHECK statements, each at its line; nothing half-mapped is kept.
TEST(ConfigMoreCheckers, TrackFileBadValues) {
  auto r = loadReal(
      "    FILE_CHECK {\n      track_file NOPE\n      weight 2147483648\n    }\n"
      "    FILE_CHECK {\n      weight 1 sideways\n      retry 3\n    }\n"
      "    FILE_CHECK {\n      track_file T\n      track_file T\n    }\n",
      "track_file T {\n  file relative/path\n  weight 255\n  init_file x\n  flavour 1\n}\n"
      "track_file V {\n  file /a\n}\ntrack_file V {\n  file /b\n}\n"
      "track_file U {\n  weight 1\n}\n");
  EXPECT_TRUE(
      hasError(r, 4, "track_file NOPE in FILE_CHECK of real_server 10.0.0.1:25 is not defined"));
  EXPECT_TRUE(hasError(r, 5, "invalid value '2147483648' for 'weight'"));
  EXPECT_TRUE(hasError(r, 8, "invalid weight option 'sideways': expected reverse or noreverse"));
  EXPECT_TRUE(hasError(r, 9,
                       "keyword 'retry' is not valid in FILE_CHECK of real_server "
                       "10.0.0.1:25: it takes only track_file and weight"));
  EXPECT_TRUE(hasError(r, 7, "FILE_CHECK of real_server 10.0.0.1:25 has no track_file"));
  EXPECT_TRUE(hasError(r, 13, "'track_file' given twice"));
  EXPECT_TRUE(hasError(r, 18, "file 'relative/path' of track_file T must be an absolute path"));
  EXPECT_TRUE(hasError(r, 19, "invalid value '255' for 'weight'"));
  EXPECT_TRUE(hasError(r, 20, "invalid value 'x' for 'init_file'"));
  EXPECT_TRUE(hasError(r, 21, "unknown keyword 'flavour' in track_file T"));
  EXPECT_TRUE(hasError(r, 26, "track_file V already defined at test.conf:23"));
  EXPECT_TRUE(hasError(r, 29, "track_file U has no file"));
  EXPECT_TRUE(firstReal(r).fileChecks.empty());
}

// vrrp_track_file and a vrrp_instance's track_file stay refused: VRRP does not follow files.
TEST(ConfigMoreCheckers, VrrpTrackFileStillRefused) {
  auto r = load("vrrp_track_file F {\n  file /a\n}\n");
  EXPECT_TRUE(hasError(r, 1, "block 'vrrp_track_file' not supported yet"));
}

}  // namespace
}  // namespace ha::director
