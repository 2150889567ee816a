// Health-check refusals: each names the file:line at fault and why, and the config is refused.
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/director/config/config_test_util.h"

namespace ha::director {
namespace {

using testing::hasError;
using testing::load;

// One real_server at line 2 of a NAT service; `body` starts at line 3.
LoadResult loadReal(const std::string& body) {
  return load("virtual_server 192.0.2.1 80 {\n  real_server 10.0.0.1 80 {\n" + body + "  }\n}\n");
}

// An HTTP_GET at line 3 with one good url (lines 4-6); `body` starts at line 7.
LoadResult loadHttp(const std::string& body) {
  return loadReal("    HTTP_GET {\n      url {\n        path /\n      }\n" + body + "    }\n");
}

// An HTTP check without a url, or a url without a path, checks nothing: refused.
TEST(ConfigHealthErrors, HttpNeedsUrlsWithPaths) {
  auto r = loadReal(
      "    HTTP_GET {\n      connect_timeout 2\n    }\n"
      "    SSL_GET {\n      url {\n        status_code 200\n      }\n    }\n");
  EXPECT_TRUE(hasError(r, 3, "HTTP_GET of real_server 10.0.0.1:80 has no url: add url"));
  EXPECT_TRUE(hasError(r, 7, "url in SSL_GET of real_server 10.0.0.1:80 has no path"));
  EXPECT_TRUE(hasError(r, 6, "SSL_GET of real_server 10.0.0.1:80 has no url"));
  EXPECT_TRUE(r.config.virtualServers[0].reals[0].checkers.empty());
}

// status_code words are N or N-M within 100..599; digests are 32 hex digits.
TEST(ConfigHealthErrors, BadStatusCodesAndDigests) {
  auto r = loadReal(
      "    HTTP_GET {\n      url {\n        path /\n"
      "        status_code 200 99\n        status_code 600\n        status_code 300-200\n"
      "        status_code 2xx\n        digest 9b3a0c85a887a256d6939da88aabd8c\n"
      "      }\n      url {\n        path /x\n"
      "        digest 9b3a0c85a887a256d6939da88aabd8cg\n      }\n    }\n");
  EXPECT_TRUE(hasError(r, 6,
                       "invalid status_code '99' in HTTP_GET of real_server 10.0.0.1:80: "
                       "expected N or N-M with 100 <= N <= M <= 599"));
  EXPECT_TRUE(hasError(r, 7, "invalid status_code '600'"));
  EXPECT_TRUE(hasError(r, 8, "invalid status_code '300-200'"));
  EXPECT_TRUE(hasError(r, 9, "invalid status_code '2xx'"));
  EXPECT_TRUE(hasError(r, 10,
                       "invalid digest '9b3a0c85a887a256d6939da88aabd8c' in HTTP_GET of "
                       "real_server 10.0.0.1:80: expected 32 hex digits"));
  EXPECT_TRUE(hasError(r, 14, "invalid digest '9b3a0c85a887a256d6939da88aabd8cg'"));
  EXPECT_TRUE(r.hasErrors());
}

// MISC_CHECK needs a command line that splits, quoted whole when a word holds spaces.
TEST(ConfigHealthErrors, MiscCheckCommandLines) {
  auto r = loadReal(
      "    MISC_CHECK {\n      misc_timeout 3\n    }\n"
      "    MISC_CHECK {\n      misc_path \"/bin/check 'unterminated\"\n    }\n"
      "    MISC_CHECK {\n      misc_path /bin/check \"a b\"\n    }\n"
      "    MISC_CHECK {\n      misc_path \"\"\n    }\n"
      "    MISC_CHECK {\n      misc_path /bin/a\n      misc_path /bin/b\n    }\n");
  EXPECT_TRUE(hasError(r, 3, "MISC_CHECK of real_server 10.0.0.1:80 has no misc_path"));
  EXPECT_TRUE(hasError(r, 7,
                       "command line '/bin/check 'unterminated' for 'misc_path' in "
                       "MISC_CHECK of real_server 10.0.0.1:80 cannot be split: "
                       "unterminated quote or trailing backslash"));
  EXPECT_TRUE(hasError(r, 10,
                       "misc_path in MISC_CHECK of real_server 10.0.0.1:80 mixes a quoted "
                       "word with unquoted ones; quote the whole command line"));
  EXPECT_TRUE(hasError(r, 13, "empty command for 'misc_path'"));
  EXPECT_TRUE(hasError(r, 17, "'misc_path' given twice in MISC_CHECK"));
}

// MISC_CHECK opens no connection: keepalived has no connection keywords for it.
TEST(ConfigHealthErrors, MiscCheckHasNoConnectionKeywords) {
  auto r = loadReal(
      "    MISC_CHECK {\n      misc_path /bin/x\n      connect_timeout 3\n"
      "      connect_port 81\n    }\n");
  EXPECT_TRUE(hasError(r, 5,
                       "keyword 'connect_timeout' is not valid in MISC_CHECK of "
                       "real_server 10.0.0.1:80: MISC_CHECK runs a program and opens no "
                       "connection"));
  EXPECT_TRUE(hasError(r, 6, "keyword 'connect_port' is not valid in MISC_CHECK"));
}

// UDP payloads and replies are hex; keepalived's masked nibbles are refused by name.
TEST(ConfigHealthErrors, UdpHexMustBeHex) {
  auto r = loadReal(
      "    UDP_CHECK {\n      payload 01 zz\n      require_reply 0x0a\n    }\n"
      "    UDP_CHECK {\n      payload\n      require_reply 01\n      require_reply 02\n    }\n");
  EXPECT_TRUE(hasError(r, 4,
                       "invalid hex 'zz' for 'payload' in UDP_CHECK of real_server "
                       "10.0.0.1:80: expected hex digits"));
  EXPECT_TRUE(hasError(r, 5,
                       "invalid hex '0x0a' for 'require_reply' in UDP_CHECK of real_server "
                       "10.0.0.1:80: masked nibbles (x) are not supported"));
  EXPECT_TRUE(hasError(r, 8, "missing argument for 'payload' (usage: payload HEX...)"));
  EXPECT_TRUE(hasError(r, 10, "'require_reply' given twice in UDP_CHECK"));
}

// A real on port 0 (DR) must say where to probe; port 0 and a zero timeout are refused.
TEST(ConfigHealthErrors, ConnectPortAndTimeout) {
  auto r = load(
      "static_ipaddress {\n  203.0.113.5/32 dev eth0\n}\n"
      "virtual_server 203.0.113.5 80 {\n  lb_algo sh\n  lb_kind DR\n"
      "  real_server 192.168.1.11 0 {\n"
      "    TCP_CHECK {\n    }\n"
      "    MISC_CHECK {\n      misc_path /bin/x\n    }\n"
      "    TCP_CHECK {\n      connect_port 0\n      connect_timeout 0\n    }\n"
      "  }\n}\n");
  EXPECT_TRUE(hasError(r, 8,
                       "TCP_CHECK of real_server 192.168.1.11:0 needs connect_port: the "
                       "real_server's port is 0"));
  EXPECT_TRUE(hasError(r, 14, "invalid port '0' for 'connect_port': expected 1..65535"));
  EXPECT_TRUE(hasError(r, 15,
                       "invalid value '0' for 'connect_timeout': expected seconds in "
                       "0.001..3600"));
  EXPECT_FALSE(hasError(r, 10, "needs connect_port"));
}

// bindto must be of the family of the address the probe connects to.
TEST(ConfigHealthErrors, BindtoFamilyMustMatch) {
  auto r = loadReal(
      "    TCP_CHECK {\n      bindto fd00::1\n    }\n"
      "    TCP_CHECK {\n      connect_ip fd00::2\n      bindto fd00::1\n    }\n");
  EXPECT_TRUE(hasError(r, 4,
                       "bindto fd00::1 in TCP_CHECK of real_server 10.0.0.1:80 is not of "
                       "the family of the address it connects to (10.0.0.1)"));
  EXPECT_EQ(r.config.virtualServers[0].reals[0].checkers.size(), 1u);
}

// keepalived refuses a link-local target without bind_if, which we do not have.
TEST(ConfigHealthErrors, LinkLocalTargetNeedsBindIf) {
  auto r = loadReal(
      "    TCP_CHECK {\n      connect_ip fe80::1\n    }\n"
      "    TCP_CHECK {\n      connect_ip fd00::1\n      bindto fe80::2\n    }\n");
  EXPECT_TRUE(hasError(r, 3,
                       "TCP_CHECK of real_server 10.0.0.1:80 cannot probe link-local fe80::1: "
                       "it needs bind_if, which is not supported"));
  EXPECT_TRUE(hasError(r, 8,
                       "bindto fe80::2 in TCP_CHECK of real_server 10.0.0.1:80 is "
                       "link-local: it needs bind_if"));
  EXPECT_TRUE(r.config.virtualServers[0].reals[0].checkers.empty());
}

// quorum 0 could never be lost (live weights never sum below 0): refused. A hysteresis that
// reaches the quorum only leaves keepalived's "no live weight" rule: a warning saying so.
TEST(ConfigHealthErrors, QuorumAndHysteresis) {
  auto r = load(
      "virtual_server 192.0.2.1 80 {\n  quorum 0\n}\n"
      "virtual_server 192.0.2.1 81 {\n  hysteresis 2\n  quorum 2\n}\n"
      "virtual_server 192.0.2.1 82 {\n  quorum 3\n  hysteresis 2\n}\n");
  EXPECT_TRUE(hasError(r, 2, "invalid value '0' for 'quorum': expected an integer in 1.."));
  EXPECT_TRUE(testing::hasWarning(r, 5,
                                  "virtual_server TCP 192.0.2.1:81: hysteresis 2 is not below "
                                  "quorum 2: the quorum is lost only when no real is up"));
  EXPECT_EQ(testing::problemCount(r), 2u) << testing::dump(r);
  EXPECT_EQ(r.config.virtualServers[1].hysteresis, 2u);
  EXPECT_EQ(r.config.virtualServers[2].quorum, 3u);
}

// The sorry server must be of the VIP's family, not the VIP, and forwarded like the reals.
TEST(ConfigHealthErrors, SorryServerRules) {
  auto r = load(
      "virtual_server 192.0.2.1 80 {\n  sorry_server fd00::9 80\n}\n"
      "virtual_server 192.0.2.1 81 {\n  sorry_server 192.0.2.1\n"
      "  sorry_server_lvs_method DR\n  sorry_server 10.0.0.9 80\n}\n"
      "virtual_server 192.0.2.1 82 {\n  sorry_server_lvs_method NAT\n  sorry_server 10.0.0.9\n"
      "  sorry_server_lvs_method TUNNEL\n}\n");
  EXPECT_TRUE(hasError(r, 2,
                       "sorry_server [fd00::9]:80 is IPv6 but virtual_server TCP "
                       "192.0.2.1:80 is IPv4"));
  EXPECT_TRUE(hasError(r, 5,
                       "sorry_server 192.0.2.1:81 in virtual_server TCP 192.0.2.1:81: the "
                       "sorry server's address is the VIP"));
  EXPECT_TRUE(hasError(r, 6,
                       "virtual_server TCP 192.0.2.1:81: sorry_server_lvs_method DR not "
                       "supported: the sorry server is forwarded like the reals (lb_kind "
                       "NAT)"));
  EXPECT_TRUE(hasError(r, 7, "sorry_server already defined at test.conf:5"));
  EXPECT_TRUE(hasError(r, 12, "invalid value 'TUNNEL' for 'sorry_server_lvs_method'"));
  EXPECT_FALSE(hasError(r, 10, "sorry_server_lvs_method"));
}

// Scripts whose command line cannot split are refused where they are written; one of each.
TEST(ConfigHealthErrors, NotifyAndQuorumCommands) {
  auto r = load(
      "virtual_server 192.0.2.1 80 {\n"
      "  quorum_up \"/bin/up 'x\"\n  quorum_down \"\"\n"
      "  real_server 10.0.0.1 80 {\n"
      "    notify_up /bin/up\n    notify_up /bin/up2\n    notify_down \"/bin/down \\\\\"\n"
      "  }\n}\n");
  EXPECT_TRUE(hasError(r, 2,
                       "command line '/bin/up 'x' for 'quorum_up' in virtual_server "
                       "192.0.2.1:80 cannot be split"));
  EXPECT_TRUE(hasError(r, 3, "empty command for 'quorum_down' in virtual_server 192.0.2.1:80"));
  EXPECT_TRUE(hasError(r, 6, "'notify_up' given twice in real_server 10.0.0.1:80"));
  EXPECT_TRUE(hasError(r, 7, "for 'notify_down' in real_server 10.0.0.1:80 cannot be split"));
}

// retry beyond 1000 would in effect never take a real down; rise must be at least 1.
TEST(ConfigHealthErrors, CountBounds) {
  auto r = loadReal(
      "    retry 1001\n    TCP_CHECK {\n      rise 0\n      delay_loop 0\n"
      "      delay_before_retry 0.0005\n    }\n");
  EXPECT_TRUE(hasError(r, 3, "invalid value '1001' for 'retry': expected an integer in 0..1000"));
  EXPECT_TRUE(hasError(r, 5, "invalid value '0' for 'rise': expected an integer in 1..1000"));
  EXPECT_TRUE(hasError(r, 6,
                       "invalid value '0' for 'delay_loop': expected seconds in "
                       "0.001..86400"));
  EXPECT_TRUE(hasError(r, 7,
                       "invalid value '0.0005' for 'delay_before_retry': expected whole "
                       "milliseconds"));
}

// BFD_CHECK is refused by name, with the reason: skipping it would keep a dead real in service.
TEST(ConfigHealthErrors, BfdCheckRefusedWithItsReason) {
  auto r = loadReal("    BFD_CHECK {\n      name bfd1\n    }\n");
  EXPECT_TRUE(hasError(r, 3,
                       "checker BFD_CHECK of real_server 10.0.0.1:80 not supported: BFD_CHECK "
                       "follows a bfd_instance session of keepalived's BFD daemon, and directord "
                       "has no BFD daemon integration"));
  EXPECT_EQ(testing::problemCount(r), 1u) << testing::dump(r);
  EXPECT_TRUE(r.config.virtualServers.empty() ||
              r.config.virtualServers[0].reals[0].checkers.empty());
}

// Keywords that would change whether a real passes, and that we cannot honour, are errors.
TEST(ConfigHealthErrors, KeywordsThatWouldChangeTheVerdict) {
  auto r = loadHttp(
      "      bind_if eth0\n      fwmark 7\n      sni_name x.example\n      alpha\n"
      "      url {\n        path /a\n        virtualhost x.example\n        regex ok\n"
      "      }\n");
  EXPECT_TRUE(hasError(r, 7,
                       "keyword 'bind_if' in HTTP_GET of real_server 10.0.0.1:80 not "
                       "supported"));
  EXPECT_TRUE(hasError(r, 8, "keyword 'fwmark' in HTTP_GET"));
  EXPECT_TRUE(hasError(r, 9, "keyword 'sni_name' in HTTP_GET"));
  EXPECT_TRUE(hasError(r, 10,
                       "keyword 'alpha' in HTTP_GET of real_server 10.0.0.1:80 not "
                       "supported: alpha applies to a whole virtual_server"));
  EXPECT_TRUE(hasError(r, 13,
                       "keyword 'virtualhost' in HTTP_GET of real_server 10.0.0.1:80 not "
                       "supported: set virtualhost in the HTTP_GET block"));
  EXPECT_TRUE(hasError(r, 14, "keyword 'regex' in HTTP_GET"));
  auto real = loadReal("    alpha\n");
  EXPECT_TRUE(hasError(real, 3, "keyword 'alpha' in real_server not supported"));
}

// Unknown keywords in checkers, urls and SSL are errors naming their block; bad values name the
// token.
TEST(ConfigHealthErrors, UnknownKeywordsAndBadValues) {
  auto r = loadHttp(
      "      no_such 1\n      http_protocol 2.0\n      virtualhost \"a b\"\n"
      "      url {\n        path /b\n        pathh /c\n        path /d\n      }\n");
  EXPECT_TRUE(hasError(r, 7, "unknown keyword 'no_such' in HTTP_GET of real_server 10.0.0.1:80"));
  EXPECT_TRUE(hasError(r, 8,
                       "invalid value '2.0' for 'http_protocol': expected 1.0, 1.0C or "
                       "1.1"));
  EXPECT_TRUE(hasError(r, 9,
                       "invalid value 'a b' for 'virtualhost' in HTTP_GET of real_server "
                       "10.0.0.1:80: expected one word without spaces"));
  EXPECT_TRUE(hasError(r, 12, "unknown keyword 'pathh' in url of HTTP_GET"));
  EXPECT_TRUE(hasError(r, 13, "'path' given twice in HTTP_GET"));
  auto tcp = loadReal(
      "    TCP_CHECK {\n      nb_get_retry 3\n    }\n    TCP_CHECK extra {\n    }\n"
      "    TCP_CHECK\n");
  EXPECT_TRUE(hasError(tcp, 4, "unknown keyword 'nb_get_retry' in TCP_CHECK"));
  EXPECT_TRUE(hasError(tcp, 6, "extra argument 'extra' for 'TCP_CHECK'"));
  EXPECT_TRUE(hasError(tcp, 8, "'TCP_CHECK' needs a { } block"));
}

// The SSL block: one of it, no key password, certificate and key together.
TEST(ConfigHealthErrors, SslBlock) {
  auto r = load(
      "SSL {\n  password secret\n  certificate /c.pem\n  cipher x\n}\n"
      "SSL {\n  ca /ca.pem\n}\n");
  EXPECT_TRUE(hasError(r, 2, "SSL password not supported: directord cannot decrypt the key file"));
  EXPECT_TRUE(hasError(r, 4, "unknown keyword 'cipher' in SSL"));
  EXPECT_TRUE(hasError(r, 1, "SSL needs both 'certificate' and 'key', or neither"));
  EXPECT_TRUE(hasError(r, 6, "SSL already defined at test.conf:1"));
}

// A real_server line that is itself bad still has its checker read, without a misleading
// "needs connect_port" for the port it could not parse.
TEST(ConfigHealthErrors, BadRealLineStillReadsItsCheckers) {
  auto r = load(
      "virtual_server 192.0.2.1 80 {\n  real_server 10.0.0.1 port {\n"
      "    TCP_CHECK {\n      retry x\n    }\n  }\n}\n");
  EXPECT_TRUE(hasError(r, 2, "invalid port 'port' for 'real_server'"));
  EXPECT_TRUE(hasError(r, 4, "invalid value 'x' for 'retry'"));
  EXPECT_EQ(testing::problemCount(r), 2u) << testing::dump(r);
}

}  // namespace
}  // namespace ha::director
