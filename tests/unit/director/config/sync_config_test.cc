// connection_sync parses into sync::SyncConfig; every refusal names its file:line.
#include <gtest/gtest.h>
#include <sys/utsname.h>

#include <initializer_list>

#include "tests/unit/director/config/config_test_util.h"

namespace ha::director {
namespace {

using namespace std::chrono_literals;
using testing::hasError;
using testing::isClean;
using testing::load;

// Joins lines with '\n', so line N of the config is element N-1: tests name lines by number.
std::string lines(std::initializer_list<std::string_view> text) {
  std::string out;
  for (auto line : text) (out += line) += '\n';
  return out;
}

IpAddress ip(std::string_view text) { return *IpAddress::parse(text); }

// A valid block starting at line 1, with `extra` inserted before its closing brace (line 12).
std::string syncBlock(std::initializer_list<std::string_view> extra = {}) {
  std::string out = lines({
      "connection_sync {",                  // 1
      "  listen 198.51.100.2 7800",         // 2
      "  peer dir2 198.51.100.3 7800",      // 3
      "  peer dir3 2001:db8::4 7801",       // 4
      "  tls {",                            // 5
      "    ca /etc/directord/sync-ca.pem",  // 6
      "    cert /etc/directord/dir1.pem",   // 7
      "    key /etc/directord/dir1.key",    // 8
      "  }",                                // 9
      "  queue_limit 1000",                 // 10
      "  ready_timeout 2.5",                // 11
  });
  for (auto line : extra) (out += line) += '\n';
  return out + "}\n";
}

const std::string kGlobals = "global_defs {\n  router_id dir1\n}\n";

// Every keyword lands in the model; the node name is router_id (global_defs may come last).
TEST(SyncConfig, FullBlockParsesIntoTheExactModel) {
  auto r = load(syncBlock({"  peer_quota 5000"}) + kGlobals);
  ASSERT_TRUE(isClean(r));
  sync::SyncConfig want;
  want.enabled = true;
  want.nodeName = "dir1";
  want.listenAddress = ip("198.51.100.2");
  want.listenPort = 7800;
  want.peers = {{"dir2", ip("198.51.100.3"), 7800}, {"dir3", ip("2001:db8::4"), 7801}};
  want.tls = {"/etc/directord/sync-ca.pem", "/etc/directord/dir1.pem", "/etc/directord/dir1.key"};
  want.queueLimit = 1000;
  want.readyTimeout = 2500ms;
  want.peerQuota = 5000;
  EXPECT_EQ(r.config.sync, want);
}

// queue_limit, peer_quota and ready_timeout are optional: SyncConfig's defaults stand (peer_quota
// 262144 flows per peer).
TEST(SyncConfig, OptionalKeywordsDefault) {
  auto r = load(kGlobals + lines({
                               "connection_sync {",
                               "  listen 198.51.100.2 7800",
                               "  peer dir2 198.51.100.3 7800",
                               "  tls {",
                               "    ca a",
                               "    cert b",
                               "    key c",
                               "  }",
                               "}",
                           }));
  ASSERT_TRUE(isClean(r));
  EXPECT_TRUE(r.config.sync.enabled);
  EXPECT_EQ(r.config.sync.queueLimit, sync::SyncConfig{}.queueLimit);
  EXPECT_EQ(r.config.sync.readyTimeout, sync::SyncConfig{}.readyTimeout);
  EXPECT_EQ(r.config.sync.peerQuota, 262144u);
}

// Without the block sync stays disabled.
TEST(SyncConfig, AbsentBlockIsDisabled) {
  auto r = load(kGlobals);
  ASSERT_TRUE(isClean(r));
  EXPECT_EQ(r.config.sync, sync::SyncConfig{});
}

// Without router_id the node name is the host name, keepalived's default router_id.
TEST(SyncConfig, NodeNameDefaultsToHostName) {
  struct utsname name {};
  ASSERT_EQ(uname(&name), 0);
  auto r = load(syncBlock());
  ASSERT_TRUE(isClean(r));
  EXPECT_EQ(r.config.sync.nodeName, name.nodename);
}

// A block without listen, peers or tls reports each at the block's line.
TEST(SyncConfig, MissingListenPeersAndTls) {
  auto r = load(kGlobals + lines({
                               "connection_sync {",  // 4
                               "  queue_limit 10",   // 5
                               "}",                  // 6
                           }));
  EXPECT_TRUE(hasError(r, 4, "connection_sync: no 'listen ADDR PORT'"));
  EXPECT_TRUE(hasError(r, 4, "connection_sync: no 'peer NAME ADDR PORT'"));
  EXPECT_TRUE(hasError(r, 4,
                       "connection_sync: tls { ca cert key } required: peers must authenticate "
                       "each other"));
  EXPECT_EQ(r.diagnostics.size(), 3u) << testing::dump(r);
}

// Bad addresses and ports (0 included) in listen and peer name the token and the keyword.
TEST(SyncConfig, BadAddressesAndPorts) {
  auto r = load(syncBlock({
                    "  listen 198.51.100.300 7800",    // 12
                    "  peer dir4 198.51.100.5 0",      // 13
                    "  peer dir5 nowhere 7800",        // 14
                    "  peer dir6 198.51.100.7 65536",  // 15
                }) +
                kGlobals);
  EXPECT_TRUE(hasError(r, 12, "'listen' given twice in connection_sync"));
  EXPECT_TRUE(hasError(r, 13, "invalid port '0' for 'peer': expected 1..65535"));
  EXPECT_TRUE(hasError(r, 14, "invalid IP address 'nowhere' for 'peer'"));
  EXPECT_TRUE(hasError(r, 15, "invalid port '65536' for 'peer'"));
  auto listen = load(kGlobals + lines({
                                    "connection_sync {",        // 4
                                    "  listen 198.51.100.2 0",  // 5
                                    "  peer dir2 198.51.100.3 7800",
                                    "  tls {",
                                    "    ca a",
                                    "    cert b",
                                    "    key c",
                                    "  }",
                                    "}",
                                }));
  EXPECT_TRUE(hasError(listen, 5, "invalid port '0' for 'listen': expected 1..65535"));
  auto address = load(kGlobals + lines({
                                     "connection_sync {",           // 4
                                     "  listen 2001:db8::zz 7800",  // 5
                                     "  peer dir2 198.51.100.3 7800",
                                     "  tls {",
                                     "    ca a",
                                     "    cert b",
                                     "    key c",
                                     "  }",
                                     "}",
                                 }));
  EXPECT_TRUE(hasError(address, 5, "invalid IP address '2001:db8::zz' for 'listen'"));
  EXPECT_EQ(address.diagnostics.size(), 1u) << testing::dump(address);
}

// A second connection_sync block is refused at its line.
TEST(SyncConfig, SecondBlock) {
  auto r = load(syncBlock() + kGlobals + "connection_sync {\n  listen 2001:db8::zz 7800\n}\n");
  EXPECT_TRUE(hasError(r, 16, "connection_sync already defined at test.conf:1"));
  EXPECT_EQ(r.diagnostics.size(), 1u) << testing::dump(r);
}

// listen and peer need exactly their arguments.
TEST(SyncConfig, WrongArgumentCounts) {
  auto r = load(syncBlock({
                    "  peer dir4 198.51.100.5",             // 12
                    "  peer dir4 198.51.100.5 7800 extra",  // 13
                    "  listen 198.51.100.2",                // 14
                }) +
                kGlobals);
  EXPECT_TRUE(hasError(r, 12, "missing argument for 'peer' (usage: peer NAME ADDR PORT)"));
  EXPECT_TRUE(hasError(r, 13, "extra argument 'extra' for 'peer'"));
  EXPECT_TRUE(hasError(r, 14, "missing argument for 'listen' (usage: listen ADDR PORT)"));
}

// Two peers with one name, or at one address and port, are refused at the second.
TEST(SyncConfig, DuplicatePeers) {
  auto r = load(syncBlock({
                    "  peer dir2 198.51.100.9 7800",  // 12
                    "  peer dir9 198.51.100.3 7800",  // 13
                    "  peer dir8 198.51.100.2 7800",  // 14
                }) +
                kGlobals);
  EXPECT_TRUE(hasError(r, 12, "connection_sync: peer dir2 already defined at test.conf:3"));
  EXPECT_TRUE(hasError(
      r, 13, "connection_sync: peer dir9 at 198.51.100.3:7800: that address is peer dir2's"));
  EXPECT_TRUE(
      hasError(r, 14, "connection_sync: peer dir8 at 198.51.100.2:7800 is our own listen address"));
  EXPECT_EQ(r.diagnostics.size(), 3u) << testing::dump(r);
}

// A peer named like this node (router_id, wherever global_defs is) is refused.
TEST(SyncConfig, PeerNamedLikeThisNode) {
  auto r = load(syncBlock({"  peer dir1 198.51.100.9 7800"}) + kGlobals);  // 12
  EXPECT_TRUE(hasError(r, 12,
                       "connection_sync: peer dir1 has this node's name (router_id); list only "
                       "the other directors"));
  EXPECT_EQ(r.diagnostics.size(), 1u) << testing::dump(r);
}

// A tls block missing any of ca, cert and key is refused, naming what is missing; unknown
// keywords in it are refused by name.
TEST(SyncConfig, IncompleteTls) {
  auto r = load(kGlobals + lines({
                               "connection_sync {",              // 4
                               "  listen 198.51.100.2 7800",     // 5
                               "  peer dir2 198.51.100.3 7800",  // 6
                               "  tls {",                        // 7
                               "    ca /etc/ca.pem",             // 8
                               "    password secret",            // 9
                               "  }",                            // 10
                               "}",                              // 11
                           }));
  EXPECT_TRUE(hasError(r, 7,
                       "connection_sync: tls { ca cert key } required: peers must authenticate "
                       "each other (missing cert, key)"));
  EXPECT_TRUE(hasError(r, 9, "unknown keyword 'password' in connection_sync tls"));
  EXPECT_EQ(r.diagnostics.size(), 2u) << testing::dump(r);
}

// Unknown keywords in connection_sync are refused by name; bad optional values name the token.
TEST(SyncConfig, UnknownKeywordsAndBadValues) {
  auto r = load(syncBlock({
                    "  peers dir4 198.51.100.5 7800",  // 12
                    "  queue_limit 0",                 // 13
                    "  ready_timeout -1",              // 14
                    "  ready_timeout 1.5",             // 15
                    "  peer_quota 7",                  // 16
                    "  peer_quota 8",                  // 17
                }) +
                kGlobals);
  EXPECT_TRUE(hasError(r, 12, "unknown keyword 'peers' in connection_sync"));
  EXPECT_TRUE(hasError(r, 13, "'queue_limit' given twice in connection_sync"));
  EXPECT_TRUE(hasError(r, 14, "'ready_timeout' given twice in connection_sync"));
  EXPECT_TRUE(hasError(r, 17, "'peer_quota' given twice in connection_sync"));
  auto values = load(kGlobals + lines({
                                    "connection_sync {",              // 4
                                    "  listen 198.51.100.2 7800",     // 5
                                    "  peer dir2 198.51.100.3 7800",  // 6
                                    "  tls {",                        // 7
                                    "    ca a",                       // 8
                                    "    cert b",                     // 9
                                    "    key c",                      // 10
                                    "  }",                            // 11
                                    "  queue_limit 0",                // 12
                                    "  ready_timeout ten",            // 13
                                    "  peer_quota 0",                 // 14
                                    "}",                              // 15
                                }));
  EXPECT_TRUE(hasError(values, 12, "invalid value '0' for 'queue_limit'"));
  EXPECT_TRUE(hasError(values, 13, "invalid value 'ten' for 'ready_timeout'"));
  EXPECT_TRUE(hasError(values, 14, "invalid value '0' for 'peer_quota'"));
  EXPECT_EQ(values.diagnostics.size(), 3u) << testing::dump(values);
  auto noValue = load(syncBlock({"  peer_quota", "  peer_quota 4294967296"}) + kGlobals);
  EXPECT_TRUE(hasError(noValue, 12, "peer_quota FLOWS"));
  EXPECT_TRUE(hasError(noValue, 13, "invalid value '4294967296' for 'peer_quota'"));
}

// track_sync in an instance needs a connection_sync block; the error points at track_sync.
TEST(SyncConfig, TrackSyncNeedsConnectionSync) {
  const std::string instance = lines({
      "vrrp_instance VI_1 {",   // 1
      "  interface eth0",       // 2
      "  virtual_router_id 1",  // 3
      "  track_sync",           // 4
      "  virtual_ipaddress {",  // 5
      "    192.0.2.1",          // 6
      "  }",                    // 7
      "}",                      // 8
  });
  auto r = load(instance);
  EXPECT_TRUE(hasError(r, 4, "instance VI_1: track_sync without a connection_sync block"));
  EXPECT_EQ(r.diagnostics.size(), 1u) << testing::dump(r);
  auto ok = load(instance + syncBlock() + kGlobals);
  ASSERT_TRUE(isClean(ok));
  EXPECT_TRUE(ok.config.vrrp.instances.at(0).trackSync);
}

// metrics_listen on connection_sync's own listen address is refused at its line (both would bind
// it); another port on that address is fine.
TEST(SyncConfig, MetricsListenIsNotTheSyncListenAddress) {
  auto clash = load(syncBlock() +
                    "global_defs {\n  router_id dir1\n  metrics_listen 198.51.100.2 7800\n}\n");
  EXPECT_TRUE(
      hasError(clash, 15, "metrics_listen 198.51.100.2:7800 is connection_sync's listen address"))
      << testing::dump(clash);
  auto ok = load(syncBlock() +
                 "global_defs {\n  router_id dir1\n  metrics_listen 198.51.100.2 9101\n}\n");
  EXPECT_TRUE(isClean(ok)) << testing::dump(ok);
}

}  // namespace
}  // namespace ha::director
