// vrrp::Router on ManualClock: sync groups (members follow each other), reload through apply()
// (unchanged instances keep their state, changed ones hand over and restart, refusals change
// nothing) and gratuitous ARP timing (garp_master_repeat / _delay / _refresh).
#include <gtest/gtest.h>

#include "tests/unit/vrrp/router_rig.h"

namespace ha::vrrp {
namespace {

using namespace test_rig;
class VrrpRouterGroups : public RouterRig {
 protected:
  // VI_1 (lan0, VRID 1, priority 100) and VI_2 (lan1, VRID 2, priority 200) in group G.
  VrrpConfig grouped() {
    VrrpConfig config;
    config.instances = {instance(), instance("VI_2", "lan1", 2, 200, "198.51.100.100/24")};
    config.syncGroups = {SyncGroupConfig{"G", "keepalived.conf:20", {"VI_1", "VI_2"}, {}}};
    return config;
  }
};
using VrrpRouterReload = VrrpRouterGroups;
class VrrpRouterGarp : public RouterRig {};

// VI_2's timer (3.21875 s) makes it MASTER and VI_1 follows at the same instant, long before
// its own 3.609375 s; the group's notify hook runs once.
TEST_F(VrrpRouterGroups, MembersBecomeMasterTogether) {
  apply(grouped());
  advanceTo(down(200));
  EXPECT_EQ(state("VI_2"), State::kMaster);
  EXPECT_EQ(state("VI_1"), State::kMaster);
  EXPECT_TRUE(holds("192.0.2.100/24"));
  EXPECT_TRUE(holds("198.51.100.100/24", "lan1"));
  using P = std::pair<Duration, int>;
  EXPECT_EQ(sentFrom("192.0.2.1"), (std::vector<P>{{down(200), 100}}));
  EXPECT_EQ(std::count(notified.begin(), notified.end(), "group G MASTER"), 1);
  EXPECT_EQ(status("VI_1").syncGroup, "G");
}

// A higher-priority master heard by VI_2 sends VI_2 to BACKUP and VI_1 with it, releasing both
// VIPs at that instant.
TEST_F(VrrpRouterGroups, OneMemberToBackupTakesTheOthers) {
  apply(grouped());
  advanceTo(5s);
  hear(3, "198.51.100.9", advert(2, 250, "198.51.100.100"));
  EXPECT_EQ(state("VI_2"), State::kBackup);
  EXPECT_EQ(state("VI_1"), State::kBackup);
  EXPECT_FALSE(holds("192.0.2.100/24"));
  EXPECT_FALSE(holds("198.51.100.100/24", "lan1"));
  EXPECT_EQ(notified.back(), "group G BACKUP");
}

// VI_2's interface going down faults both (each master sends priority 0 at once); when it
// comes back both return as BACKUP and take over again together.
TEST_F(VrrpRouterGroups, OneMemberFaultFaultsTheGroup) {
  apply(grouped());
  advanceTo(5s);
  const size_t before = transport.sent().size();
  links.setUp("lan1", false);
  EXPECT_EQ(state("VI_2"), State::kFault);
  EXPECT_EQ(state("VI_1"), State::kFault);
  ASSERT_EQ(transport.sent().size(), before + 2);
  for (size_t n = before; n < before + 2; ++n) {
    EXPECT_EQ(transport.sent()[n].advert.priority, 0);
    EXPECT_EQ(transport.sent()[n].at, at(5s));
  }
  advanceTo(6s);
  links.setUp("lan1", true);
  EXPECT_EQ(state("VI_1"), State::kBackup);
  EXPECT_EQ(state("VI_2"), State::kBackup);
  advanceTo(6s + down(200));
  EXPECT_EQ(state("VI_1"), State::kMaster);
  EXPECT_EQ(state("VI_2"), State::kMaster);
}

// A reload that changes nothing but source positions keeps every instance as it is: no
// priority 0, no address churn, no new announcement, the advert rhythm unchanged.
TEST_F(VrrpRouterReload, UnchangedInstanceKeepsItsState) {
  apply({instance()});
  advanceTo(5s);
  const size_t sent = transport.sent().size();
  const size_t announced = announcer.announcements().size();
  auto moved = instance();
  moved.location = "keepalived.conf:40";
  moved.addresses[0].location = "keepalived.conf:41";
  apply({moved});
  EXPECT_EQ(state(), State::kMaster);
  EXPECT_EQ(transport.sent().size(), sent);
  EXPECT_EQ(announcer.announcements().size(), announced);
  EXPECT_TRUE(holds("192.0.2.100/24"));
  EXPECT_EQ(status("VI_1").transitions, 2u);  // INIT -> BACKUP -> MASTER, nothing since
  advanceTo(down(100) + 2s);
  EXPECT_EQ(transport.sent().back().at, at(down(100) + 2s));
}

// A changed priority restarts the instance: the master hands over with priority 0 at once,
// releases its VIP, starts again as BACKUP and takes over after its new Master_Down_Interval.
TEST_F(VrrpRouterReload, ChangedPriorityRestartsTheInstance) {
  apply({instance()});
  advanceTo(5s);
  apply({instance("VI_1", "lan0", 1, 150)});
  EXPECT_EQ(transport.sent().back().advert.priority, 0);
  EXPECT_EQ(transport.sent().back().at, at(5s));
  EXPECT_EQ(state(), State::kBackup);
  EXPECT_FALSE(holds("192.0.2.100/24"));
  advanceTo(5s + down(150) - 1ns);
  EXPECT_EQ(state(), State::kBackup);
  advanceTo(5s + down(150));
  EXPECT_EQ(state(), State::kMaster);
  EXPECT_EQ(transport.sent().back().advert.priority, 150);
  EXPECT_EQ(transport.attached().count({2, Family::kV4}), 1u);  // never detached meanwhile
}

// An added VIP restarts the instance and is held once it is master again; a removed one leaves
// the kernel with the handover, while an untouched instance beside them stays MASTER.
TEST_F(VrrpRouterReload, AddedAndRemovedVirtualAddresses) {
  auto vi2 = instance("VI_2", "lan1", 2, 200, "198.51.100.100/24");
  apply({instance(), vi2});
  advanceTo(5s);
  auto more = instance();
  more.addresses.push_back(VirtualAddress{prefix("192.0.2.101/24"), "", "", ""});
  apply({more, vi2});
  EXPECT_EQ(state("VI_1"), State::kBackup);
  EXPECT_EQ(state("VI_2"), State::kMaster);
  advanceTo(5s + down(100));
  EXPECT_TRUE(holds("192.0.2.100/24"));
  EXPECT_TRUE(holds("192.0.2.101/24"));
  EXPECT_EQ(transport.sent().back().advert.addresses.size(), 2u);
  apply({instance(), vi2});
  EXPECT_FALSE(holds("192.0.2.101/24"));
  EXPECT_TRUE(holds("198.51.100.100/24", "lan1"));
  EXPECT_EQ(status("VI_2").transitions, 2u);
}

// A removed instance hands over (priority 0) and detaches its socket.
TEST_F(VrrpRouterReload, RemovedInstanceHandsOver) {
  apply({instance(), instance("VI_2", "lan1", 2, 200, "198.51.100.100/24")});
  advanceTo(5s);
  apply({instance()});
  EXPECT_EQ(transport.sent().back().source, ip("198.51.100.1"));
  EXPECT_EQ(transport.sent().back().advert.priority, 0);
  EXPECT_FALSE(holds("198.51.100.100/24", "lan1"));
  EXPECT_EQ(transport.attached().count({3, Family::kV4}), 0u);
  EXPECT_EQ(router.snapshot().instances.size(), 1u);
}

// A refused reload names the instance and the cause and changes nothing: the running instance
// stays MASTER and no socket is left attached for the refused one.
TEST_F(VrrpRouterReload, RefusalChangesNothing) {
  apply({instance()});
  advanceTo(5s);
  // VI_3 on lan1 is fine and gets its socket before VI_2 is refused: it must be let go.
  auto st = router.apply(VrrpConfig{
      {instance("VI_1", "lan0", 1, 150), instance("VI_3", "lan1", 3, 100, "198.51.100.100/24"),
       instance("VI_2", "lan9", 2)},
      {},
      {}});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(), "instance VI_2 not started: interface lan9: No such device");
  EXPECT_EQ(state(), State::kMaster);
  EXPECT_EQ(status("VI_1").basePriority, 100);
  EXPECT_EQ(transport.attached().size(), 1u);
  EXPECT_EQ(transport.attached().count({2, Family::kV4}), 1u);
}

// After a reload that keeps a sync group, its members still follow each other.
TEST_F(VrrpRouterReload, SyncGroupStillFollowsAfterReload) {
  apply(grouped());
  advanceTo(5s);
  ASSERT_EQ(state("VI_1"), State::kMaster);
  apply(grouped());
  links.setUp("lan1", false);
  EXPECT_EQ(state("VI_2"), State::kFault);
  EXPECT_EQ(state("VI_1"), State::kFault);
}

// Becoming master: garp_master_repeat (5) announcements of each address at once and again
// garp_master_delay (5 s) later, then nothing (no refresh by default).
TEST_F(VrrpRouterGarp, RepeatAndDelay) {
  apply({instance()});
  advanceTo(60s);
  ASSERT_EQ(announcer.announcements().size(), 10u);
  EXPECT_EQ(announcer.countAt(at(down(100))), 5u);
  EXPECT_EQ(announcer.countAt(at(down(100) + 5s)), 5u);
  EXPECT_EQ(announcer.announcements()[0].ifindex, 2u);
  EXPECT_EQ(announcer.announcements()[0].address, ip("192.0.2.100"));
}

// garp_master_refresh 2 s with refresh repeat 2, no delay burst: every address is announced
// twice every 2 s while master; going BACKUP stops the refresh.
TEST_F(VrrpRouterGarp, RefreshWhileMasterOnly) {
  auto c = instance();
  c.addresses.push_back(VirtualAddress{prefix("192.0.2.101/24"), "", "", ""});
  c.garp.masterDelay = 0s;
  c.garp.masterRefresh = 2s;
  c.garp.masterRefreshRepeat = 2;
  apply({c});
  advanceTo(down(100) + 6s);
  EXPECT_EQ(announcer.countAt(at(down(100))), 10u);
  EXPECT_EQ(announcer.countAt(at(down(100) + 2s)), 4u);
  EXPECT_EQ(announcer.countAt(at(down(100) + 4s)), 4u);
  EXPECT_EQ(announcer.countAt(at(down(100) + 6s)), 4u);
  EXPECT_EQ(announcer.announcements().size(), 22u);
  advanceTo(down(100) + 7s);
  auto higher = advert(1, 200, "192.0.2.100");
  higher.addresses.push_back(ip("192.0.2.101"));
  hear(2, "192.0.2.9", higher);
  ASSERT_EQ(state(), State::kBackup);
  advanceTo(down(100) + 7s + down(100) - 1ns);  // until it takes over again: silence
  EXPECT_EQ(announcer.announcements().size(), 22u);
}

// A master hearing a lower-priority master (a healed split brain) announces again at once.
TEST_F(VrrpRouterGarp, LowerPriorityMasterTriggersAnnouncement) {
  apply({instance()});
  advanceTo(20s);
  const size_t before = announcer.announcements().size();
  hear(2, "192.0.2.9", advert(1, 50));
  EXPECT_EQ(announcer.announcements().size(), before + 5);
  EXPECT_EQ(transport.sent().back().at, at(20s));  // and answers with an advert at once
  EXPECT_EQ(state(), State::kMaster);
}

}  // namespace
}  // namespace ha::vrrp
