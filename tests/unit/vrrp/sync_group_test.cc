// keepalived vrrp_sync_group semantics: the pure coordinator's answers, then two boxes of two
// instances each on the fake wire moving as groups.
#include "vrrp/sync_group.h"

#include <gtest/gtest.h>

#include "tests/fakes/fake_vrrp_wire.h"
#include "tests/fakes/manual_clock.h"

namespace ha::vrrp {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;
using test::FakeVrrpWire;
using test::ManualClock;

Transition move(State from, State to, std::string reason = "test") {
  return Transition{from, to, std::move(reason)};
}

const event::GroupFollow* followOf(const SyncGroup::Delivery& d) {
  return std::get_if<event::GroupFollow>(&d.event);
}

// Start three members into BACKUP (the coordinator's starting point for most tests).
SyncGroup startedGroup() {
  SyncGroup g(3, "G1");
  g.setMemberNames({"VI_1", "VI_2", "VI_3"});
  for (size_t i = 0; i < 3; ++i) g.onTransition(i, move(State::kInitialize, State::kBackup));
  return g;
}

// One member becoming MASTER pulls the others up, with a reason naming the cause.
TEST(SyncGroup, MasterPullsTheOthersUp) {
  auto g = startedGroup();
  auto out = g.onTransition(1, move(State::kBackup, State::kMaster, "master down timer expired"));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].member, 0u);
  EXPECT_EQ(out[1].member, 2u);
  ASSERT_TRUE(followOf(out[0]));
  EXPECT_EQ(followOf(out[0])->target, State::kMaster);
  EXPECT_EQ(followOf(out[0])->reason,
            "sync group G1: VI_2 became MASTER (master down timer expired)");
  EXPECT_EQ(g.state(), State::kMaster);
}

// The followers' own transitions, reported back, trigger nothing (no feedback loop); a later
// independent change does.
TEST(SyncGroup, FollowersDoNotRetrigger) {
  auto g = startedGroup();
  g.onTransition(1, move(State::kBackup, State::kMaster));
  EXPECT_TRUE(g.onTransition(0, move(State::kBackup, State::kMaster, "sync group")).empty());
  EXPECT_TRUE(g.onTransition(2, move(State::kBackup, State::kMaster, "sync group")).empty());
  auto out = g.onTransition(2, move(State::kMaster, State::kBackup, "higher priority 250"));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(followOf(out[0])->target, State::kBackup);
  EXPECT_EQ(g.state(), State::kBackup);
}

// A router that does not report followers at all works too: the next real change is acted on.
TEST(SyncGroup, WorksWhenFollowersAreNotReported) {
  auto g = startedGroup();
  ASSERT_EQ(g.onTransition(0, move(State::kBackup, State::kMaster)).size(), 2u);
  EXPECT_EQ(g.memberState(1), State::kMaster);  // assumed until reported otherwise
  auto out = g.onTransition(1, move(State::kMaster, State::kBackup));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].member, 0u);
  EXPECT_EQ(out[1].member, 2u);
}

// One member's own fault faults them all; its recovery waits for every sibling's.
TEST(SyncGroup, FaultFaultsAllAndRecoveryWaitsForEveryone) {
  auto g = startedGroup();
  auto f0 = g.faultChanged(0, true, "interface eth1 down");
  ASSERT_EQ(f0.size(), 1u);
  ASSERT_TRUE(std::get_if<event::FaultChanged>(&f0[0].event));
  auto out = g.onTransition(0, move(State::kBackup, State::kFault, "interface eth1 down"));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(followOf(out[1])->target, State::kFault);
  g.onTransition(1, move(State::kBackup, State::kFault));
  g.onTransition(2, move(State::kBackup, State::kFault));
  EXPECT_EQ(g.state(), State::kFault);
  // Member 2 gets its own fault too, then member 0 recovers: held, nothing delivered.
  g.faultChanged(2, true, "script chk failed");
  EXPECT_TRUE(g.faultChanged(0, false, "fault cleared").empty());
  // The last fault clears: both held members are released at once.
  auto release = g.faultChanged(2, false, "fault cleared");
  ASSERT_EQ(release.size(), 2u);
  EXPECT_EQ(release[0].member, 2u);
  EXPECT_EQ(release[1].member, 0u);
  auto up = g.onTransition(2, move(State::kFault, State::kBackup, "fault cleared"));
  ASSERT_EQ(up.size(), 2u);  // members 0 and 1 follow out of FAULT
  EXPECT_EQ(followOf(up[0])->target, State::kBackup);
  EXPECT_EQ(g.state(), State::kBackup);
}

// A member whose FaultChanged went straight to its state machine (not through faultChanged())
// and recovers while a sibling is faulted is sent back to FAULT.
TEST(SyncGroup, DirectRecoveryWhileSiblingFaultedIsSentBack) {
  auto g = startedGroup();
  g.faultChanged(1, true, "interface eth2 down");
  EXPECT_EQ(g.onTransition(1, move(State::kBackup, State::kFault, "eth2 down")).size(), 2u);
  EXPECT_TRUE(g.onTransition(0, move(State::kBackup, State::kFault, "sync group")).empty());
  // Member 0's own fault came and went straight through its state machine: FAULT -> BACKUP.
  auto out = g.onTransition(0, move(State::kFault, State::kBackup, "fault cleared"));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].member, 0u);
  EXPECT_EQ(followOf(out[0])->target, State::kFault);
  EXPECT_EQ(followOf(out[0])->reason, "sync group G1: VI_2 is faulted");
  EXPECT_EQ(g.state(), State::kFault);
}

// A member starting while the group is MASTER joins it; stopped members are left alone.
TEST(SyncGroup, LateStarterJoinsAndStoppedMembersAreLeftAlone) {
  SyncGroup g(2);
  g.onTransition(0, move(State::kInitialize, State::kBackup));
  EXPECT_TRUE(g.onTransition(0, move(State::kBackup, State::kMaster)).empty());  // 1 not running
  auto out = g.onTransition(1, move(State::kInitialize, State::kBackup));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(followOf(out[0])->target, State::kMaster);
  EXPECT_TRUE(g.onTransition(1, move(State::kMaster, State::kInitialize, "shutdown")).empty());
}

// ---- Two boxes on the fake wire: A (priority 200) and B (100), each with VI_1 on VRID 1 and
// VI_2 on VRID 2 in one sync group ----

class SyncGroupScenario : public ::testing::Test {
 protected:
  void SetUp() override {
    a1 = wire.addRouter(params(200, "192.0.2.1"), 1);
    a2 = wire.addRouter(params(200, "198.51.100.1"), 2);
    b1 = wire.addRouter(params(100, "192.0.2.2"), 1);
    b2 = wire.addRouter(params(100, "198.51.100.2"), 2);
    wire.addSyncGroup({a1, a2}, "A");
    wire.addSyncGroup({b1, b2}, "B");
  }
  static Params params(uint8_t priority, const char* address) {
    Params p;
    p.priority = priority;
    p.primaryAddress = *IpAddress::parse(address);
    return p;
  }
  ManualClock clock;
  FakeVrrpWire wire{clock, milliseconds(1)};
  size_t a1 = 0, a2 = 0, b1 = 0, b2 = 0;
};

// The two instances of a box move together: A's first timer makes both of A's instances
// MASTER at the same instant.
TEST_F(SyncGroupScenario, InstancesMoveTogether) {
  for (size_t r : {a1, a2, b1, b2}) wire.start(r);
  wire.advance(seconds(10));
  EXPECT_EQ(wire.state(a1), State::kMaster);
  EXPECT_EQ(wire.state(a2), State::kMaster);
  EXPECT_EQ(wire.lastEntered(a1, State::kMaster), wire.lastEntered(a2, State::kMaster));
  EXPECT_EQ(wire.state(b1), State::kBackup);
  EXPECT_EQ(wire.state(b2), State::kBackup);
  EXPECT_EQ(wire.groupState(0), State::kMaster);
  EXPECT_EQ(wire.groupState(1), State::kBackup);
}

// A fault on one of A's instances faults both (each sends priority 0), B takes both over at
// its skew time; when the fault clears A comes back and preempts both.
TEST_F(SyncGroupScenario, FaultInOneFaultsBoth) {
  for (size_t r : {a1, a2, b1, b2}) wire.start(r);
  wire.advance(seconds(10));
  wire.setFault(a1, true, "interface eth1 down");  // at 10 s
  EXPECT_EQ(wire.state(a1), State::kFault);
  EXPECT_EQ(wire.state(a2), State::kFault);
  EXPECT_FALSE(wire.holdsAddresses(a2));
  wire.advance(seconds(5));
  const TimePoint takeover =
      ManualClock::kStart + seconds(10) + milliseconds(1) + microseconds(609375);
  EXPECT_EQ(wire.lastEntered(b1, State::kMaster), takeover);
  EXPECT_EQ(wire.lastEntered(b2, State::kMaster), takeover);
  wire.setFault(a1, false);  // at 15 s: both of A's instances back to BACKUP, then preempt
  EXPECT_EQ(wire.state(a2), State::kBackup);
  wire.advance(seconds(10));
  EXPECT_EQ(wire.state(a1), State::kMaster);
  EXPECT_EQ(wire.state(a2), State::kMaster);
  EXPECT_EQ(wire.state(b1), State::kBackup);
  EXPECT_EQ(wire.state(b2), State::kBackup);
  EXPECT_EQ(wire.holderCount(), 2u);
}

}  // namespace
}  // namespace ha::vrrp
