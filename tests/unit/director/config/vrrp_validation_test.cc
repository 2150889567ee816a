// VRRP refusals and warnings: each names file:line and says why (docs/style.md §6).
#include <gtest/gtest.h>

#include <initializer_list>

#include "tests/unit/director/config/config_test_util.h"

namespace ha::director {
namespace {

using testing::hasError;
using testing::hasNoErrors;
using testing::hasWarning;
using testing::load;

std::string lines(std::initializer_list<std::string_view> text) {
  std::string out;
  for (auto line : text) (out += line) += '\n';
  return out;
}

// A complete instance in 7 lines: NAME on IFACE with VRID and one address.
std::string instance(std::string_view name, std::string_view iface, int vrid,
                     std::string_view address) {
  return lines({"vrrp_instance " + std::string(name) + " {", "  interface " + std::string(iface),
                "  virtual_router_id " + std::to_string(vrid), "  virtual_ipaddress {",
                "    " + std::string(address), "  }", "}"});
}

// Two instances with one name: the second is refused at its own line.
TEST(VrrpValidation, DuplicateInstanceName) {
  auto r =
      load(instance("VI_1", "eth0", 1, "192.0.2.1") + instance("VI_1", "eth0", 2, "192.0.2.2"));
  EXPECT_TRUE(hasError(r, 8, "vrrp_instance VI_1 already defined at test.conf:1"));
}

// One VRID per interface and family (RFC 5798 §5.2.3); other families and interfaces are free.
TEST(VrrpValidation, DuplicateVridOnInterfaceAndFamily) {
  auto r =
      load(instance("VI_1", "eth0", 7, "192.0.2.1") + instance("VI_2", "eth0", 7, "192.0.2.2") +
           instance("VI_3", "eth0", 7, "fd00::3") + instance("VI_4", "eth1", 7, "192.0.2.4"));
  EXPECT_TRUE(hasError(r, 10,
                       "instance VI_2 not started: virtual_router_id 7 is already used on eth0 "
                       "for IPv4 by vrrp_instance VI_1 (test.conf:1)"));
  EXPECT_EQ(r.diagnostics.size(), 1u) << testing::dump(r);
}

// keepalived starts an instance without addresses; we refuse it, saying why.
TEST(VrrpValidation, NoVirtualAddresses) {
  auto r = load("vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n}\n");
  EXPECT_TRUE(hasError(r, 1, "instance VI_1 not started: no virtual addresses configured"));
  EXPECT_EQ(r.diagnostics.size(), 1u) << testing::dump(r);
}

// interface and virtual_router_id have no default.
TEST(VrrpValidation, MissingInterfaceAndVrid) {
  auto r = load("vrrp_instance VI_1 {\n  virtual_ipaddress {\n    192.0.2.1\n  }\n}\n");
  EXPECT_TRUE(hasError(r, 1, "instance VI_1 not started: no interface configured"));
  EXPECT_TRUE(hasError(r, 1, "instance VI_1 not started: no virtual_router_id configured"));
}

// Priority 255 starts MASTER and ignores nopreempt; MASTER without priority is the owner.
TEST(VrrpValidation, AddressOwnerAdjustments) {
  auto r = load(lines({"vrrp_instance VI_1 {", "  state BACKUP", "  priority 255", "  nopreempt",
                       "  interface eth0", "  virtual_router_id 1", "  virtual_ipaddress {",
                       "    192.0.2.1", "  }", "}"}));
  EXPECT_TRUE(hasNoErrors(r));
  EXPECT_TRUE(hasWarning(r, 2,
                         "vrrp_instance VI_1: priority 255 (address owner) starts as MASTER "
                         "whatever 'state BACKUP' says (RFC 5798 §6.4.1)"));
  EXPECT_TRUE(hasWarning(r, 4, "nopreempt does not apply to the address owner"));
  const auto& inst = r.config.vrrp.instances.at(0);
  EXPECT_EQ(inst.initialState, vrrp::InitialState::kMaster);
  EXPECT_TRUE(inst.preempt);

  r = load(lines({"vrrp_instance VI_1 {", "  state MASTER", "  interface eth0",
                  "  virtual_router_id 1", "  virtual_ipaddress {", "    192.0.2.1", "  }", "}"}));
  EXPECT_TRUE(hasWarning(r, 2, "state MASTER without 'priority' makes it the address owner"));
  EXPECT_EQ(r.config.vrrp.instances.at(0).priority, 255);
}

// nopreempt (and preempt_delay) cannot work from state MASTER: warned and cleared, as keepalived.
TEST(VrrpValidation, NopreemptWithStateMaster) {
  auto r = load(lines({"vrrp_instance VI_1 {", "  state MASTER", "  priority 200", "  nopreempt",
                       "  preempt_delay 5", "  interface eth0", "  virtual_router_id 1",
                       "  virtual_ipaddress {", "    192.0.2.1", "  }", "}"}));
  EXPECT_TRUE(hasNoErrors(r));
  EXPECT_TRUE(hasWarning(r, 4,
                         "vrrp_instance VI_1: nopreempt will not work with initial state MASTER; "
                         "ignored, as keepalived does"));
  EXPECT_TRUE(hasWarning(r, 5, "preempt_delay will not work with initial state MASTER"));
  EXPECT_TRUE(r.config.vrrp.instances.at(0).preempt);
  EXPECT_EQ(r.config.vrrp.instances.at(0).preemptDelay, Duration{0});
}

// track_script must name a vrrp_script, in an instance or a sync group.
TEST(VrrpValidation, UnknownTrackScript) {
  auto r = load(lines({"vrrp_instance VI_1 {", "  interface eth0", "  virtual_router_id 1",
                       "  virtual_ipaddress {", "    192.0.2.1", "  }", "  track_script {",
                       "    chk_missing weight 5", "  }", "}"}));
  EXPECT_TRUE(hasError(r, 8,
                       "vrrp_instance VI_1: track_script names unknown vrrp_script "
                       "'chk_missing'"));
}

// Sync group members must exist and belong to one group only.
TEST(VrrpValidation, SyncGroupMembers) {
  auto r =
      load(instance("VI_1", "eth0", 1, "192.0.2.1") + instance("VI_2", "eth0", 2, "192.0.2.2") +
           lines({"vrrp_sync_group G1 {",  // 15
                  "  group {",             // 16
                  "    VI_1 VI_2",         // 17
                  "    VI_9",              // 18
                  "  }",                   // 19
                  "}",                     // 20
                  "vrrp_sync_group G2 {",  // 21
                  "  group {",             // 22
                  "    VI_2",              // 23
                  "  }",                   // 24
                  "}"}));
  EXPECT_TRUE(hasError(r, 18, "vrrp_sync_group G1: unknown vrrp_instance 'VI_9'"));
  EXPECT_TRUE(
      hasError(r, 23, "vrrp_instance VI_2 is in two sync groups: G2 and G1 (test.conf:15)"));
}

// unicast peers and the source address must be of the instance's family.
TEST(VrrpValidation, UnicastFamilyMismatch) {
  auto r =
      load(lines({"vrrp_instance VI_1 {", "  interface eth0", "  virtual_router_id 1",
                  "  unicast_src_ip fd00::1", "  unicast_peer {", "    198.51.100.2", "    fd00::2",
                  "  }", "  virtual_ipaddress {", "    192.0.2.1", "  }", "}"}));
  EXPECT_TRUE(hasError(r, 7,
                       "vrrp_instance VI_1: unicast_peer fd00::2 is IPv6 but the instance "
                       "is IPv4"));
  EXPECT_TRUE(hasError(r, 4, "source address fd00::1 is IPv6 but the instance is IPv4"));
}

// An address has one owner: two instances (or one twice) would fight over it.
TEST(VrrpValidation, DuplicateVirtualAddress) {
  auto r = load(instance("VI_1", "eth0", 1, "192.0.2.1/24") +
                instance("VI_2", "eth0", 2, "192.0.2.1/32"));
  EXPECT_TRUE(hasError(r, 12,
                       "virtual address 192.0.2.1 of vrrp_instance VI_2 already belongs "
                       "to vrrp_instance VI_1 (test.conf:5)"));
}

// All advertised addresses are one family (RFC 5798 §5.2.9).
TEST(VrrpValidation, MixedFamilies) {
  auto r = load(lines({"vrrp_instance VI_1 {", "  interface eth0", "  virtual_router_id 1",
                       "  virtual_ipaddress {", "    192.0.2.1", "    fd00::1", "  }", "}"}));
  EXPECT_TRUE(hasError(r, 6, "vrrp_instance VI_1 mixes IPv4 and IPv6 in virtual_ipaddress"));
}

// advert_int must fit the version's field: whole seconds in v2, 10 ms steps up to 40.95 s in v3.
TEST(VrrpValidation, AdvertIntervalPrecision) {
  auto withAdvert = [](std::string_view version, std::string_view advert) {
    return load(lines({"vrrp_instance VI_1 {", "  interface eth0", "  virtual_router_id 1",
                       "  version " + std::string(version), "  advert_int " + std::string(advert),
                       "  virtual_ipaddress {", "    192.0.2.1", "  }", "}"}));
  };
  EXPECT_TRUE(hasError(withAdvert("2", "1.5"), 5,
                       "vrrp_instance VI_1: advert_int 1.5 needs VRRP version 3: version 2 "
                       "carries whole seconds (RFC 3768 §5.3.7)"));
  EXPECT_TRUE(hasNoErrors(withAdvert("3", "1.5")));
  EXPECT_TRUE(hasNoErrors(withAdvert("2", "255")));
  EXPECT_TRUE(hasError(withAdvert("3", "0.015"), 5,
                       "advert_int 0.015 not representable in VRRP "
                       "version 3"));
  EXPECT_TRUE(hasError(withAdvert("3", "41"), 5, "advert_int 41 not representable"));
  EXPECT_TRUE(hasError(withAdvert("2", "256"), 5, "invalid value '256' for 'advert_int'"));
  EXPECT_TRUE(hasError(withAdvert("2", "1e3"), 5, "invalid value '1e3' for 'advert_int'"));
}

// v2 PASS authentication is kept (8 bytes, truncated like keepalived); AH and v3 are refused.
TEST(VrrpValidation, Authentication) {
  auto withAuth = [](std::string_view version, std::string_view type, std::string_view pass) {
    return load(lines({"vrrp_instance VI_1 {", "  interface eth0", "  virtual_router_id 1",
                       "  version " + std::string(version), "  authentication {",
                       "    auth_type " + std::string(type), "    auth_pass " + std::string(pass),
                       "  }", "  virtual_ipaddress {", "    192.0.2.1", "  }", "}"}));
  };
  auto r = withAuth("2", "PASS", "0123456789");
  EXPECT_TRUE(hasNoErrors(r));
  EXPECT_TRUE(hasWarning(r, 7, "auth_pass longer than 8 bytes; only '01234567' is used"));
  EXPECT_EQ(r.config.vrrp.instances.at(0).authPass, "01234567");
  EXPECT_EQ(r.config.vrrp.instances.at(0).authType, vrrp::AuthType::kSimplePassword);
  EXPECT_TRUE(hasError(withAuth("3", "PASS", "x"), 5,
                       "vrrp_instance VI_1: authentication is not part of VRRP version 3 "
                       "(RFC 5798 §9 removed it)"));
  EXPECT_TRUE(hasError(withAuth("2", "AH", "x"), 6, "auth_type AH not supported"));
  EXPECT_TRUE(hasError(withAuth("2", "PASS", "\"\""), 5,
                       "auth_type PASS needs a non-empty "
                       "auth_pass"));
}

// static_ipaddress + virtual_ipaddress is two owners; VIPs/laddrs held by VRRP alone are fine.
TEST(VrrpValidation, StaticAndVrrpOwners) {
  auto r = load(lines({"static_ipaddress {", "  192.0.2.1/32 dev eth0", "}"}) +
                instance("VI_1", "eth0", 1, "192.0.2.1"));
  EXPECT_TRUE(hasError(r, 8,
                       "address 192.0.2.1 has two owners: static_ipaddress (test.conf:2) "
                       "and vrrp_instance VI_1; list it in one of them"));
  r = load(lines({"local_address_group L {",
                  "  198.51.100.200",
                  "}",
                  "virtual_server 192.0.2.1 80 {",
                  "  lb_kind FNAT",
                  "  laddr_group_name L",
                  "  real_server 198.51.100.11 80 {",
                  "  }",
                  "}",
                  "virtual_server 192.0.2.2 80 {",
                  "  lb_kind DR",
                  "  lb_algo sh",
                  "}",
                  "vrrp_instance VI_1 {",
                  "  interface eth0",
                  "  virtual_router_id 1",
                  "  virtual_ipaddress {",
                  "    192.0.2.1",
                  "    192.0.2.2",
                  "    198.51.100.200 dev eth1",
                  "  }",
                  "}"}));
  EXPECT_TRUE(hasNoErrors(r));
}

// Unsupported keywords are named (errors or warnings); unknown ones in VRRP blocks are errors.
TEST(VrrpValidation, UnsupportedAndUnknownKeywords) {
  auto r = load(lines({
      "global_defs {",                   // 1
      "  vrrp_mcast_group4 224.0.0.19",  // 2
      "  script_user nobody",            // 3
      "  vrrp_iptables",                 // 4
      "}",                               // 5
      "vrrp_script chk {",               // 6
      "  script /bin/check --fast",      // 7
      "  weight 10 reverse",             // 8
      "  colour blue",                   // 9
      "}",                               // 10
      "vrrp_script empty {",             // 11
      "}",                               // 12
      "vrrp_instance VI_1 {",            // 13
      "  interface eth0",                // 14
      "  virtual_router_id 1",           // 15
      "  virtual_ipaddress {",           // 16
      "    192.0.2.1",                   // 17
      "  }",                             // 18
      "  use_vmac",                      // 19
      "  dont_track_primary",            // 20
      "  smtp_alert",                    // 21
      "  track_bfd {",                   // 22
      "  }",                             // 23
      "  prioritty 10",                  // 24
      "  state SLAVE",                   // 25
      "}",                               // 26
      "vrrp_sync_group G {",             // 27
      "  group {",                       // 28
      "    VI_1",                        // 29
      "  }",                             // 30
      "  smtp_alert",                    // 31
      "  bogus",                         // 32
      "}",                               // 33
  }));
  EXPECT_TRUE(hasError(r, 2, "keyword 'vrrp_mcast_group4' not supported yet"));
  EXPECT_TRUE(hasWarning(r, 3, "keyword 'script_user' in global_defs ignored: directord runs"));
  EXPECT_TRUE(hasWarning(r, 4, "keyword 'vrrp_iptables' in global_defs not applicable"));
  EXPECT_TRUE(hasError(r, 7,
                       "vrrp_script chk: quote the command line: script \"/bin/check "
                       "--fast ...\""));
  EXPECT_TRUE(hasError(r, 8, "'weight ... reverse' in 'weight' not supported yet"));
  EXPECT_TRUE(hasError(r, 9, "unknown keyword 'colour' in vrrp_script"));
  EXPECT_TRUE(hasError(r, 11, "vrrp_script empty has no 'script \"COMMAND\"'"));
  EXPECT_TRUE(hasError(r, 19,
                       "keyword 'use_vmac' in vrrp_instance not supported: directord "
                       "sends adverts and gratuitous ARP/NA from the interface's own MAC"));
  EXPECT_TRUE(hasWarning(r, 20, "keyword 'dont_track_primary' in vrrp_instance ignored"));
  EXPECT_TRUE(hasWarning(r, 21,
                         "keyword 'smtp_alert' in vrrp_instance not supported yet; "
                         "ignored"));
  EXPECT_TRUE(hasError(r, 22, "keyword 'track_bfd' in vrrp_instance not supported yet"));
  EXPECT_TRUE(hasError(r, 24, "unknown keyword 'prioritty' in vrrp_instance"));
  EXPECT_TRUE(hasError(r, 25, "invalid value 'SLAVE' for 'state': expected MASTER or BACKUP"));
  EXPECT_TRUE(hasWarning(r, 27, "vrrp_sync_group G has only one instance"));
  EXPECT_TRUE(hasWarning(r, 31, "keyword 'smtp_alert' in vrrp_sync_group not supported yet"));
  EXPECT_TRUE(hasError(r, 32, "unknown keyword 'bogus' in vrrp_sync_group"));
}

// Values out of keepalived's ranges are errors naming the range.
TEST(VrrpValidation, ValueRanges) {
  auto r = load(lines({
      "vrrp_instance VI_1 {",                // 1
      "  interface eth0",                    // 2
      "  virtual_router_id 256",             // 3
      "  priority 0",                        // 4
      "  preempt_delay 1001",                // 5
      "  interface averyveryverylongname0",  // 6
      "  virtual_ipaddress {",               // 7
      "    192.0.2.1",                       // 8
      "  }",                                 // 9
      "  track_interface {",                 // 10
      "    eth1 weight 255",                 // 11
      "  }",                                 // 12
      "  garp_master_repeat 0",              // 13
      "}",                                   // 14
      "vrrp_script s {",                     // 15
      "  script /bin/true",                  // 16
      "  weight -254",                       // 17
      "  rise 0",                            // 18
      "}",                                   // 19
  }));
  EXPECT_TRUE(hasError(r, 3,
                       "invalid value '256' for 'virtual_router_id': expected an integer "
                       "in 1..255"));
  EXPECT_TRUE(hasError(r, 4, "invalid value '0' for 'priority': expected an integer in 1..255"));
  EXPECT_TRUE(hasError(r, 5,
                       "invalid value '1001' for 'preempt_delay': expected seconds in "
                       "0..1000"));
  EXPECT_TRUE(hasError(r, 6, "invalid interface name 'averyveryverylongname0'"));
  EXPECT_TRUE(hasError(r, 11, "invalid weight '255' in 'eth1': expected an integer in -254..254"));
  EXPECT_TRUE(hasWarning(r, 13, "'garp_master_repeat 0' read as 1, as keepalived does"));
  EXPECT_TRUE(hasError(r, 17,
                       "invalid weight '-254' in 'weight': expected an integer in "
                       "-253..253"));
  EXPECT_TRUE(hasError(r, 18, "invalid value '0' for 'rise'"));
  EXPECT_EQ(r.config.vrrp.instances.at(0).garp.masterRepeat, 1u);
}

}  // namespace
}  // namespace ha::director
