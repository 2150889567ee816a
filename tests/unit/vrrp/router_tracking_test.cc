// vrrp::Router tracking on ManualClock: track_interface / vrrp_script / track_virtual_server
// weights change the priority the router advertises (and its backup timing); weight 0 puts the
// instance in FAULT (priority 0 sent, addresses released) until the cause clears.
#include <gtest/gtest.h>

#include "tests/unit/vrrp/router_rig.h"

namespace ha::vrrp {
namespace {

using namespace test_rig;
class VrrpRouterTracking : public RouterRig {};
using P = std::pair<Duration, int>;

// A master whose tracked interface (weight -30) goes down advertises 70 from its next advert on,
// and 100 again once the link is back.
TEST_F(VrrpRouterTracking, InterfaceWeightChangesTheAdvertisedPriority) {
  auto c = instance();
  c.trackInterfaces = {TrackedInterface{"eth1", -30}};
  apply({c});
  advanceTo(5s);
  links.setUp("eth1", false);
  EXPECT_EQ(status("VI_1").effectivePriority, 70);
  EXPECT_EQ(state(), State::kMaster);
  advanceTo(7s);
  links.setUp("eth1", true);
  advanceTo(8s);
  EXPECT_EQ(sentFrom("192.0.2.1"), (std::vector<P>{{down(100), 100},
                                                   {down(100) + 1s, 100},
                                                   {down(100) + 2s, 70},
                                                   {down(100) + 3s, 70},
                                                   {down(100) + 4s, 100}}));
}

// A vrrp_script with weight +20 adds while healthy (not while INIT): a backup whose script turns
// healthy at startup runs with priority 120, so its timer is 3 s + 136/256 s.
TEST_F(VrrpRouterTracking, ScriptWeightMovesTheBackupTimer) {
  VrrpConfig config;
  config.scripts = {ScriptConfig{"chk", "keepalived.conf:9", "/bin/true", 1s, 0s, 20}};
  auto c = instance();
  c.trackScripts = {TrackedScript{"chk", std::nullopt}};
  config.instances = {c};
  apply(config);
  EXPECT_EQ(status("VI_1").effectivePriority, 100);  // INIT: no weight yet
  router.onScriptChange("chk", true);
  EXPECT_EQ(status("VI_1").effectivePriority, 120);
  advanceTo(down(120) - 1ns);
  EXPECT_EQ(state(), State::kBackup);
  advanceTo(down(120));
  EXPECT_EQ(state(), State::kMaster);
  EXPECT_EQ(sentFrom("192.0.2.1"), (std::vector<P>{{down(120), 120}}));
  router.onScriptChange("chk", false);  // positive weight: nothing while failing
  EXPECT_EQ(status("VI_1").effectivePriority, 100);
}

// Weight 0 on a tracked interface: down puts the master in FAULT at once (priority 0 sent, VIP
// released, reason shown); up again brings it back as BACKUP with a full Master_Down_Interval.
TEST_F(VrrpRouterTracking, WeightZeroInterfaceFaults) {
  auto c = instance();
  c.trackInterfaces = {TrackedInterface{"eth1", 0}};
  apply({c});
  advanceTo(5s);
  ASSERT_EQ(state(), State::kMaster);
  links.setUp("eth1", false);
  EXPECT_EQ(state(), State::kFault);
  EXPECT_EQ(status("VI_1").fault, "interface eth1 down");
  EXPECT_EQ(transport.sent().back().advert.priority, 0);
  EXPECT_EQ(transport.sent().back().at, at(5s));
  EXPECT_FALSE(holds("192.0.2.100/24"));
  advanceTo(6s);
  links.setUp("eth1", true);
  EXPECT_EQ(state(), State::kBackup);
  EXPECT_EQ(status("VI_1").fault, "");
  advanceTo(6s + down(100) - 1ns);
  EXPECT_EQ(state(), State::kBackup);
  advanceTo(6s + down(100));
  EXPECT_EQ(state(), State::kMaster);
}

// The instance's own interface is always tracked (weight 0), and a weight-0 script that fails
// faults too; both causes are named.
TEST_F(VrrpRouterTracking, OwnInterfaceAndWeightZeroScriptFault) {
  VrrpConfig config;
  config.scripts = {ScriptConfig{"chk", "keepalived.conf:9", "/bin/true", 1s, 0s, 0}};
  auto c = instance();
  c.trackScripts = {TrackedScript{"chk", std::nullopt}};
  config.instances = {c};
  apply(config);
  router.onScriptChange("chk", false);
  links.setUp("lan0", false);
  EXPECT_EQ(state(), State::kFault);
  EXPECT_EQ(status("VI_1").fault, "interface lan0 down, script chk failed");
  advanceTo(20s);
  EXPECT_TRUE(transport.sent().empty());  // a faulted backup never advertises
  links.setUp("lan0", true);
  EXPECT_EQ(state(), State::kFault);  // the script still fails
  router.onScriptChange("chk", true);
  EXPECT_EQ(state(), State::kBackup);
}

// track_virtual_server: a weight subtracts while the quorum is lost; weight 0 faults; names
// never reported read as up.
TEST_F(VrrpRouterTracking, VirtualServerQuorum) {
  auto c = instance();
  c.trackVirtualServers = {TrackedVirtualServer{"TCP 192.0.2.100:80", -50},
                           TrackedVirtualServer{"TCP 192.0.2.100:443", 0}};
  apply({c});
  EXPECT_EQ(status("VI_1").effectivePriority, 100);
  router.onVirtualServerQuorum("TCP 192.0.2.100:80", false);
  EXPECT_EQ(status("VI_1").effectivePriority, 50);
  router.onVirtualServerQuorum("TCP 192.0.2.100:443", false);
  EXPECT_EQ(state(), State::kFault);
  EXPECT_EQ(status("VI_1").fault, "virtual server TCP 192.0.2.100:443 quorum lost");
  router.onVirtualServerQuorum("TCP 192.0.2.100:443", true);
  router.onVirtualServerQuorum("TCP 192.0.2.100:80", true);
  EXPECT_EQ(state(), State::kBackup);
  EXPECT_EQ(status("VI_1").effectivePriority, 100);
}

// The owner (255) never changes priority, whatever the weights.
TEST_F(VrrpRouterTracking, OwnerIgnoresWeights) {
  auto c = instance("VI_1", "lan0", 1, 255);
  c.trackInterfaces = {TrackedInterface{"eth1", -30}};
  apply({c});
  EXPECT_EQ(state(), State::kMaster);  // the owner is master at once (RFC 5798 §6.4.1)
  links.setUp("eth1", false);
  EXPECT_EQ(status("VI_1").effectivePriority, 255);
}

// keepalived vrrp_init_state(): an instance whose tracked interface is already down when it
// starts goes straight to FAULT. Even the owner never passes through MASTER: no advert, no VIP,
// no announcement.
TEST_F(VrrpRouterTracking, DownAtStartupStartsInFault) {
  auto c = instance("VI_1", "lan0", 1, 255);
  c.trackInterfaces = {TrackedInterface{"eth1", 0}};
  links.setUp("eth1", false);
  apply({c});
  EXPECT_EQ(state(), State::kFault);
  ASSERT_EQ(roles.size(), 1u);
  EXPECT_EQ(roles[0].reason, "starting while faulted: interface eth1 down");
  EXPECT_TRUE(transport.sent().empty());
  EXPECT_TRUE(announcer.announcements().empty());
  EXPECT_TRUE(kernel.all().empty());
  links.setUp("eth1", true);
  EXPECT_EQ(state(), State::kMaster);  // the owner leaves FAULT straight to MASTER
}

}  // namespace
}  // namespace ha::vrrp
