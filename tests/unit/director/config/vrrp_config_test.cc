// vrrp_instance, vrrp_script, vrrp_sync_group and global_defs vrrp_* parse into vrrp::VrrpConfig
// with keepalived 2.2.7's meaning and defaults.
#include <gtest/gtest.h>

#include <initializer_list>

#include "tests/unit/director/config/config_test_util.h"

namespace ha::director {
namespace {

using namespace std::chrono_literals;
using testing::dataPath;
using testing::hasError;
using testing::hasNoErrors;
using testing::hasWarning;
using testing::isClean;
using testing::load;

// Joins lines with '\n', so line N of the config is element N-1: tests name lines by number.
std::string lines(std::initializer_list<std::string_view> text) {
  std::string out;
  for (auto line : text) (out += line) += '\n';
  return out;
}

IpAddress ip(std::string_view text) { return *IpAddress::parse(text); }

vrrp::VirtualAddress vip(std::string_view prefix, int line, std::string dev = "",
                         std::string label = "") {
  return {*IpPrefix::parse(prefix), std::move(dev), std::move(label),
          "test.conf:" + std::to_string(line)};
}

const std::string kMinimal = lines({
    "vrrp_instance VI_1 {",   // 1
    "  interface eth0",       // 2
    "  virtual_router_id 1",  // 3
    "  virtual_ipaddress {",  // 4
    "    192.0.2.1",          // 5
    "  }",                    // 6
    "}",                      // 7
});

// Every implemented keyword lands in the exact model; globals fill the gaps, per family.
TEST(VrrpConfig, FullConfigParsesIntoTheExactModel) {
  auto r = load(lines({
      "global_defs {",                                 // 1
      "  router_id dir-a",                             // 2
      "  vrrp_version 3",                              // 3
      "  vrrp_garp_master_delay 2",                    // 4
      "  vrrp_garp_master_repeat 3",                   // 5
      "  vrrp_garp_master_refresh 30",                 // 6
      "  vrrp_garp_master_refresh_repeat 2",           // 7
      "  vrrp_garp_interval 0.001",                    // 8
      "  vrrp_gna_interval 0.002",                     // 9
      "}",                                             // 10
      "vrrp_script chk_web {",                         // 11
      "  script \"/usr/bin/check --port 80\"",         // 12
      "  interval 3",                                  // 13
      "  timeout 2",                                   // 14
      "  weight -20",                                  // 15
      "  rise 2",                                      // 16
      "  fall 3",                                      // 17
      "  init_fail",                                   // 18
      "}",                                             // 19
      "vrrp_script chk_db {",                          // 20
      "  script /usr/bin/true",                        // 21
      "}",                                             // 22
      "vrrp_instance VI_1 {",                          // 23
      "  state BACKUP",                                // 24
      "  interface eth0",                              // 25
      "  virtual_router_id 51",                        // 26
      "  priority 150",                                // 27
      "  advert_int 0.5",                              // 28
      "  nopreempt",                                   // 29
      "  accept",                                      // 30
      "  virtual_ipaddress {",                         // 31
      "    192.0.2.10/24 dev eth1 label eth1:vip",     // 32
      "    192.0.2.11",                                // 33
      "  }",                                           // 34
      "  virtual_ipaddress_excluded {",                // 35
      "    fd00::10/64",                               // 36
      "  }",                                           // 37
      "  unicast_src_ip 198.51.100.1",                 // 38
      "  unicast_peer {",                              // 39
      "    198.51.100.2",                              // 40
      "    198.51.100.3",                              // 41
      "  }",                                           // 42
      "  track_interface {",                           // 43
      "    eth1 weight -30",                           // 44
      "    eth2",                                      // 45
      "  }",                                           // 46
      "  track_script {",                              // 47
      "    chk_web",                                   // 48
      "    chk_db weight 5",                           // 49
      "  }",                                           // 50
      "  notify_master \"/etc/ha/notify.sh master\"",  // 51
      "  notify_backup /etc/ha/backup.sh",             // 52
      "  notify_fault \"/etc/ha/notify.sh fault\"",    // 53
      "  notify_stop \"/etc/ha/notify.sh stop\"",      // 54
      "  notify \"/etc/ha/notify-any.sh\"",            // 55
      "  garp_master_delay 1",                         // 56
      "  garp_master_refresh 10",                      // 57
      "  garp_interval 0.005",                         // 58
      "  track_sync",                                  // 59
      "}",                                             // 60
      "vrrp_instance VI_6 {",                          // 61
      "  interface eth0",                              // 62
      "  virtual_router_id 51",                        // 63
      "  version 3",                                   // 64
      "  preempt_delay 2.5",                           // 65
      "  mcast_src_ip fe80::1",                        // 66
      "  virtual_ipaddress {",                         // 67
      "    fe80::51/64",                               // 68
      "    fd00::51",                                  // 69
      "  }",                                           // 70
      "  no_accept",                                   // 71
      "}",                                             // 72
      "vrrp_instance VI_2 {",                          // 73
      "  interface eth1",                              // 74
      "  virtual_router_id 52",                        // 75
      "  virtual_ipaddress {",                         // 76
      "    203.0.113.1",                               // 77
      "  }",                                           // 78
      "}",                                             // 79
      "vrrp_sync_group G1 {",                          // 80
      "  group {",                                     // 81
      "    VI_1 VI_2",                                 // 82
      "  }",                                           // 83
      "  track_script {",                              // 84
      "    chk_db",                                    // 85
      "  }",                                           // 86
      "  notify_master \"/etc/ha/group.sh master\"",   // 87
      "  notify \"/etc/ha/group-any.sh\"",             // 88
      "  sync_group_tracking_weight",                  // 89
      "}",                                             // 90
      "connection_sync {",                             // 91: track_sync needs it
      "  listen 198.51.100.1 7800",                    // 92
      "  peer dir2 198.51.100.2 7800",                 // 93
      "  tls {",                                       // 94
      "    ca /etc/ha/ca.pem",                         // 95
      "    cert /etc/ha/dir1.pem",                     // 96
      "    key /etc/ha/dir1.key",                      // 97
      "  }",                                           // 98
      "}",                                             // 99
  }));
  ASSERT_TRUE(isClean(r));

  vrrp::VrrpConfig want;
  want.scripts = {
      {"chk_web", "test.conf:11", "/usr/bin/check --port 80", 3s, 2s, -20, 2, 3, true},
      {"chk_db", "test.conf:20", "/usr/bin/true", 1s, 0s, 0, 1, 1, false},
  };
  vrrp::InstanceConfig vi1;
  vi1.name = "VI_1";
  vi1.location = "test.conf:23";
  vi1.initialState = vrrp::InitialState::kBackup;
  vi1.interface = "eth0";
  vi1.vrid = 51;
  vi1.priority = 150;
  vi1.version = vrrp::Version::kV3;  // from global_defs
  vi1.family = Family::kV4;
  vi1.advertInterval = 500ms;
  vi1.preempt = false;
  vi1.acceptMode = true;
  vi1.addresses = {vip("192.0.2.10/24", 32, "eth1", "eth1:vip"), vip("192.0.2.11/32", 33)};
  vi1.excludedAddresses = {vip("fd00::10/64", 36)};
  vi1.unicastSource = ip("198.51.100.1");
  vi1.unicastPeers = {ip("198.51.100.2"), ip("198.51.100.3")};
  vi1.trackInterfaces = {{"eth1", -30}, {"eth2", 0}};
  // The group's track_script joins each member's own.
  vi1.trackScripts = {{"chk_web", std::nullopt}, {"chk_db", 5}, {"chk_db", std::nullopt}};
  vi1.trackSync = true;
  vi1.notify = {"/etc/ha/notify.sh master", "/etc/ha/backup.sh", "/etc/ha/notify.sh fault",
                "/etc/ha/notify.sh stop", "/etc/ha/notify-any.sh"};
  vi1.garp = {1s, 3, 10s, 2, 5ms};  // its own delay, refresh and interval; the rest global
  vrrp::InstanceConfig vi6;
  vi6.name = "VI_6";
  vi6.location = "test.conf:61";
  vi6.interface = "eth0";
  vi6.vrid = 51;  // same VRID as VI_1 on eth0, other family: a different virtual router
  vi6.version = vrrp::Version::kV3;
  vi6.family = Family::kV6;
  vi6.preemptDelay = 2500ms;
  vi6.acceptMode = false;
  vi6.addresses = {vip("fe80::51/64", 68), vip("fd00::51/128", 69)};
  vi6.unicastSource = ip("fe80::1");
  vi6.garp = {2s, 3, 30s, 2, 2ms};  // IPv6: vrrp_gna_interval
  vrrp::InstanceConfig vi2;
  vi2.name = "VI_2";
  vi2.location = "test.conf:73";
  vi2.interface = "eth1";
  vi2.vrid = 52;
  vi2.version = vrrp::Version::kV3;
  vi2.acceptMode = true;
  vi2.addresses = {vip("203.0.113.1/32", 77)};
  vi2.trackScripts = {{"chk_db", std::nullopt}};
  vi2.garp = {2s, 3, 30s, 2, 1ms};  // IPv4: vrrp_garp_interval
  want.instances = {vi1, vi6, vi2};
  want.syncGroups = {{"G1",
                      "test.conf:80",
                      {"VI_1", "VI_2"},
                      {"/etc/ha/group.sh master", "", "", "", "/etc/ha/group-any.sh"}}};

  const auto& got = r.config.vrrp;
  ASSERT_EQ(got.instances.size(), 3u);
  EXPECT_TRUE(got.instances[0] == want.instances[0]);
  EXPECT_TRUE(got.instances[1] == want.instances[1]);
  EXPECT_TRUE(got.instances[2] == want.instances[2]);
  EXPECT_TRUE(got.scripts == want.scripts);
  EXPECT_TRUE(got.syncGroups == want.syncGroups);
  EXPECT_TRUE(got == want);
  EXPECT_EQ(r.config.globals.routerId, "dir-a");
}

// A minimal instance gets keepalived's defaults (BACKUP, 100, v2, 1 s, preempt, accept, GARP).
TEST(VrrpConfig, KeepalivedDefaults) {
  auto r = load(kMinimal);
  ASSERT_TRUE(isClean(r));
  vrrp::InstanceConfig want;
  want.name = "VI_1";
  want.location = "test.conf:1";
  want.interface = "eth0";
  want.vrid = 1;
  want.acceptMode = true;
  want.addresses = {vip("192.0.2.1/32", 5)};
  ASSERT_EQ(r.config.vrrp.instances.size(), 1u);
  const auto& got = r.config.vrrp.instances[0];
  EXPECT_TRUE(got == want);
  EXPECT_EQ(got.initialState, vrrp::InitialState::kBackup);
  EXPECT_EQ(got.priority, 100);
  EXPECT_EQ(got.version, vrrp::Version::kV2);
  EXPECT_EQ(got.advertInterval, 1s);
  EXPECT_TRUE(got.preempt);
  EXPECT_EQ(got.garp, (vrrp::GarpConfig{5s, 5, 0s, 1, 0s}));
}

// vrrp_version applies wherever global_defs sits; an instance `version` overrides it.
TEST(VrrpConfig, GlobalVersionAndPerInstanceOverride) {
  auto r = load(kMinimal + lines({
                               "vrrp_instance VI_2 {",   // 8
                               "  interface eth0",       // 9
                               "  virtual_router_id 2",  // 10
                               "  version 2",            // 11
                               "  virtual_ipaddress {",  // 12
                               "    192.0.2.2",          // 13
                               "  }",                    // 14
                               "}",                      // 15
                               "global_defs {",          // 16
                               "  vrrp_version 3",       // 17
                               "}",                      // 18
                           }));
  ASSERT_TRUE(isClean(r));
  EXPECT_EQ(r.config.vrrp.instances.at(0).version, vrrp::Version::kV3);
  EXPECT_EQ(r.config.vrrp.instances.at(1).version, vrrp::Version::kV2);
}

// IPv6 instances default to VRRPv3 (keepalived); an explicit version 2 is refused.
TEST(VrrpConfig, Ipv6NeedsVersion3) {
  auto r = load(lines({"vrrp_instance VI_6 {", "  interface eth0", "  virtual_router_id 6",
                       "  virtual_ipaddress {", "    fd00::1", "  }", "}"}));
  ASSERT_TRUE(isClean(r));
  EXPECT_EQ(r.config.vrrp.instances.at(0).version, vrrp::Version::kV3);
  EXPECT_EQ(r.config.vrrp.instances.at(0).family, Family::kV6);
  r = load(lines({"vrrp_instance VI_6 {", "  interface eth0", "  virtual_router_id 6",
                  "  version 2", "  virtual_ipaddress {", "    fd00::1", "  }", "}"}));
  EXPECT_TRUE(hasError(r, 4,
                       "vrrp_instance VI_6: VRRP version 2 (RFC 3768) is IPv4 "
                       "only; IPv6 needs version 3"));
}

// Quoted commands keep their spaces; a notify's extra words (user/group) only warn.
TEST(VrrpConfig, QuotedCommandsKeepSpaces) {
  auto r = load(lines({
      "vrrp_script chk {",                                            // 1
      "  script \"/usr/bin/check --x 1 --name 'a b'\"",               // 2
      "}",                                                            // 3
      "vrrp_instance VI_1 {",                                         // 4
      "  interface eth0",                                             // 5
      "  virtual_router_id 1",                                        // 6
      "  virtual_ipaddress {",                                        // 7
      "    192.0.2.1",                                                // 8
      "  }",                                                          // 9
      "  notify_master \"/usr/local/bin/vip up\" keepalived_script",  // 10
      "}",                                                            // 11
  }));
  EXPECT_TRUE(hasNoErrors(r));
  EXPECT_EQ(r.config.vrrp.scripts.at(0).command, "/usr/bin/check --x 1 --name 'a b'");
  EXPECT_EQ(r.config.vrrp.instances.at(0).notify.master, "/usr/local/bin/vip up");
  EXPECT_TRUE(hasWarning(r, 10, "user 'keepalived_script' for 'notify_master' ignored"));
}

// vrrp_strict turns the accept-mode default off, as in keepalived.
TEST(VrrpConfig, StrictChangesAcceptDefault) {
  auto r = load("global_defs {\n  vrrp_strict\n}\n" + kMinimal);
  EXPECT_TRUE(hasNoErrors(r));
  EXPECT_TRUE(hasWarning(r, 2, "vrrp_strict: only its accept-mode default (no_accept) is applied"));
  EXPECT_FALSE(r.config.vrrp.instances.at(0).acceptMode);
}

// keepalived's check_unicast_src / vrrp_check_unicast_src are accepted without a word: the
// filter they turn on there is always on here (vrrp/README.md); an argument is still an error.
TEST(VrrpConfig, CheckUnicastSrcIsAcceptedSilently) {
  auto r = load("global_defs {\n  vrrp_check_unicast_src\n}\n" +
                lines({"vrrp_instance VI_1 {", "  interface eth0", "  virtual_router_id 1",
                       "  check_unicast_src", "  unicast_peer {", "    192.0.2.9", "  }",
                       "  virtual_ipaddress {", "    192.0.2.1", "  }", "}"}));
  EXPECT_TRUE(isClean(r));
  EXPECT_EQ(r.config.vrrp.instances.at(0).unicastPeers, std::vector{ip("192.0.2.9")});
  auto bad = load(lines({"vrrp_instance VI_1 {", "  check_unicast_src yes", "}"}));
  EXPECT_TRUE(hasError(bad, 2, "extra argument 'yes'"));
}

// Sync groups ignore tracking weights (keepalived) unless sync_group_tracking_weight.
TEST(VrrpConfig, SyncGroupIgnoresWeightsLikeKeepalived) {
  const std::string body = lines({
      "vrrp_script chk_w {",    // 1
      "  script /bin/true",     // 2
      "  weight 10",            // 3
      "}",                      // 4
      "vrrp_instance VI_1 {",   // 5
      "  interface eth0",       // 6
      "  virtual_router_id 1",  // 7
      "  virtual_ipaddress {",  // 8
      "    192.0.2.1",          // 9
      "  }",                    // 10
      "  track_interface {",    // 11
      "    eth1 weight -10",    // 12
      "  }",                    // 13
      "  track_script {",       // 14
      "    chk_w",              // 15
      "  }",                    // 16
      "}",                      // 17
      "vrrp_sync_group G {",    // 18
      "  group {",              // 19
      "    VI_1",               // 20
      "  }",                    // 21
  });
  auto r = load(body + "}\n");
  EXPECT_TRUE(hasNoErrors(r));
  EXPECT_TRUE(hasWarning(r, 12,
                         "weight -10 of track_interface eth1 ignored: keepalived ignores "
                         "weights in vrrp_sync_group G"));
  EXPECT_TRUE(hasWarning(r, 15, "track_script chk_w (weight 10) ignored"));
  const auto& inst = r.config.vrrp.instances.at(0);
  EXPECT_EQ(inst.trackInterfaces, (std::vector<vrrp::TrackedInterface>{{"eth1", 0}}));
  EXPECT_TRUE(inst.trackScripts.empty());

  r = load(body + "  sync_group_tracking_weight\n}\n");
  EXPECT_TRUE(hasNoErrors(r));
  const auto& kept = r.config.vrrp.instances.at(0);
  EXPECT_EQ(kept.trackInterfaces, (std::vector<vrrp::TrackedInterface>{{"eth1", -10}}));
  EXPECT_EQ(kept.trackScripts.size(), 1u);
}

// A keepalived 2.2.7 sample (sync group, track_script, service on a VRRP VIP) loads.
TEST(VrrpConfig, KeepalivedSampleLoads) {
  auto r = testing::loadFile(dataPath("keepalived_vrrp.conf"));
  ASSERT_TRUE(hasNoErrors(r));
  const auto& v = r.config.vrrp;
  ASSERT_EQ(v.instances.size(), 2u);
  ASSERT_EQ(v.syncGroups.size(), 1u);
  EXPECT_EQ(v.syncGroups[0].members, (std::vector<std::string>{"VI_EXT", "VI_INT"}));
  EXPECT_EQ(v.syncGroups[0].notify.master, "/etc/keepalived/notify.sh master");
  EXPECT_EQ(v.scripts.at(0).command, "/usr/bin/pgrep -x haproxy");
  for (const auto& inst : v.instances) {
    EXPECT_EQ(inst.version, vrrp::Version::kV2) << inst.name;
    EXPECT_EQ(inst.authType, vrrp::AuthType::kSimplePassword) << inst.name;
    EXPECT_EQ(inst.authPass, "s3cret") << inst.name;
    EXPECT_EQ(inst.trackScripts, (std::vector<vrrp::TrackedScript>{{"chk_haproxy", std::nullopt}}));
    EXPECT_EQ(inst.garp.masterDelay, 10s) << inst.name;
  }
  EXPECT_EQ(v.instances[0].addresses.size(), 2u);
  EXPECT_EQ(v.instances[0].addresses[0].label, "eth0:1");
  EXPECT_EQ(v.instances[0].trackInterfaces, (std::vector<vrrp::TrackedInterface>{{"eth1", 0}}));
  EXPECT_EQ(v.instances[1].priority, 100);
  EXPECT_FALSE(v.instances[1].preempt);
  ASSERT_EQ(r.config.virtualServers.size(), 1u);
  EXPECT_TRUE(r.config.staticAddresses.empty());
}

}  // namespace
}  // namespace ha::director
