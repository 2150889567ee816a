// track_sync: an instance whose connection sync is not ready does not preempt (it starts as
// BACKUP even as the owner and treats itself as nopreempt), yet still takes over a dead master.
// Times as in state_machine_test.cc: priority 200 at 1 s -> down 3.21875 s, 100 -> 3.609375 s,
// 255 -> 3.00390625 s; the wire delivers after 1 ms.
#include <gtest/gtest.h>

#include "tests/fakes/fake_vrrp_wire.h"
#include "tests/fakes/manual_clock.h"
#include "vrrp/state_machine.h"

namespace ha::vrrp {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;
using test::FakeVrrpWire;
using test::ManualClock;

constexpr TimePoint kNow = ManualClock::kStart;
constexpr Duration kDelay = milliseconds(1);
constexpr Duration kDown200 = microseconds(3218750);
constexpr Duration kDown100 = microseconds(3609375);
constexpr Duration kDown255 = microseconds(3003906) + std::chrono::nanoseconds(250);

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

Params params(uint8_t priority, const char* address, bool trackSync) {
  Params p;
  p.priority = priority;
  p.primaryAddress = ip(address);
  p.trackSync = trackSync;
  return p;
}

event::AdvertReceived advert(const char* from, uint8_t priority) {
  return event::AdvertReceived{ip(from), priority, seconds(1)};
}

// Not ready, a higher-priority backup accepts the lower master's adverts and resets its
// Master_Down_Timer (RFC 5798 §6.4.2 with preempt = false); readiness alone changes nothing; the
// next lower-priority advert is discarded and the running timer makes it master.
TEST(VrrpTrackSync, PreemptsOnlyFromTheFirstAdvertAfterReady) {
  StateMachine m(params(200, "192.0.2.2", true));
  EXPECT_TRUE(m.waitingForSync());
  m.handle(event::Startup{}, kNow);
  for (int s = 1; s <= 3; ++s) {
    auto a = m.handle(advert("192.0.2.1", 100), kNow + seconds(s));
    EXPECT_FALSE(a.transition);
    EXPECT_EQ(a.masterDownAt, kNow + seconds(s) + kDown200);
  }
  EXPECT_EQ(m.masterAddress(), ip("192.0.2.1"));
  auto ready = m.handle(event::SyncReadyChanged{true}, kNow + milliseconds(3500));
  EXPECT_FALSE(m.waitingForSync());
  EXPECT_FALSE(ready.transition);
  EXPECT_FALSE(ready.sendAdvertPriority);
  EXPECT_EQ(ready.masterDownAt, kNow + seconds(3) + kDown200);
  auto discarded = m.handle(advert("192.0.2.1", 100), kNow + seconds(4));
  EXPECT_EQ(discarded.masterDownAt, kNow + seconds(3) + kDown200);
  auto a = m.handle(event::MasterDownExpired{}, kNow + seconds(3) + kDown200);
  ASSERT_TRUE(a.transition);
  EXPECT_EQ(a.transition->to, State::kMaster);
  EXPECT_TRUE(a.takeAddresses);
}

// The owner (255) with track_sync starts as BACKUP while not ready and sends nothing.
TEST(VrrpTrackSync, OwnerStartsAsBackupUntilReady) {
  StateMachine m(params(255, "192.0.2.1", true));
  auto a = m.handle(event::Startup{}, kNow);
  ASSERT_TRUE(a.transition);
  EXPECT_EQ(a.transition->to, State::kBackup);
  EXPECT_EQ(a.transition->reason, "startup (waiting for connection sync)");
  EXPECT_FALSE(a.sendAdvertPriority);
  EXPECT_FALSE(a.takeAddresses);
  EXPECT_EQ(a.masterDownAt, kNow + kDown255);
  // Ready before Startup: the owner's fast path as usual.
  StateMachine ready(params(255, "192.0.2.1", true));
  ready.handle(event::SyncReadyChanged{true}, kNow);
  EXPECT_EQ(ready.handle(event::Startup{}, kNow).transition->to, State::kMaster);
}

// `state MASTER` with track_sync and not ready starts as BACKUP and takes no addresses.
TEST(VrrpTrackSync, StateMasterStartsAsBackup) {
  Params p = params(150, "192.0.2.1", true);
  p.initialState = InitialState::kMaster;
  StateMachine m(p);
  auto a = m.handle(event::Startup{}, kNow);
  ASSERT_TRUE(a.transition);
  EXPECT_EQ(a.transition->to, State::kBackup);
  EXPECT_FALSE(a.takeAddresses);
  EXPECT_TRUE(m.waitingForSync());
}

// An owner whose fault clears while not ready returns as BACKUP, not straight to MASTER.
TEST(VrrpTrackSync, OwnerLeavesFaultAsBackupWhileWaiting) {
  StateMachine m(params(255, "192.0.2.1", true));
  m.handle(event::FaultChanged{true, "eth0 down"}, kNow);
  m.handle(event::Startup{}, kNow);
  ASSERT_EQ(m.state(), State::kFault);
  auto a = m.handle(event::FaultChanged{false, ""}, kNow + seconds(1));
  ASSERT_TRUE(a.transition);
  EXPECT_EQ(a.transition->to, State::kBackup);
}

// Instances without track_sync ignore readiness: never waiting, preempting as before.
TEST(VrrpTrackSync, WithoutTrackSyncReadinessIsIgnored) {
  StateMachine m(params(200, "192.0.2.2", false));
  EXPECT_FALSE(m.waitingForSync());
  m.handle(event::SyncReadyChanged{false}, kNow);
  m.handle(event::Startup{}, kNow);
  auto a = m.handle(advert("192.0.2.1", 100), kNow + seconds(1));
  EXPECT_EQ(a.masterDownAt, kNow + kDown200);  // discarded: the startup timer keeps running
}

// ---- Scenarios on the fake wire (readiness never arrives: the wire has no sync) ----

class VrrpTrackSyncScenario : public ::testing::Test {
 protected:
  TimePoint at(Duration d) const { return kNow + d; }
  ManualClock clock;
  FakeVrrpWire wire{clock, kDelay};
};

// A higher-priority router waiting for sync leaves the lower master alone, then takes over
// Master_Down_Interval after the master's last advert when it crashes.
TEST_F(VrrpTrackSyncScenario, WaitingRouterDoesNotPreemptButReplacesADeadMaster) {
  auto low = wire.addRouter(params(100, "192.0.2.1", false));
  auto high = wire.addRouter(params(200, "192.0.2.2", true));
  wire.start(low);
  wire.advance(seconds(5));
  ASSERT_EQ(wire.state(low), State::kMaster);
  wire.start(high);
  wire.advance(seconds(60));
  EXPECT_EQ(wire.state(high), State::kBackup);
  EXPECT_EQ(wire.state(low), State::kMaster);
  EXPECT_EQ(wire.status(high).master, ip("192.0.2.1"));
  // low advertises at 3.609375 + k s; the last one before the crash at 65 s left at 64.609375 s.
  wire.crash(low);
  wire.advance(seconds(10));
  EXPECT_EQ(wire.lastEntered(high, State::kMaster), at(kDown100 + seconds(61) + kDelay + kDown200));
  EXPECT_EQ(wire.masterCount(), 1u);
}

// An owner waiting for sync joins a running master as BACKUP and stays there.
TEST_F(VrrpTrackSyncScenario, WaitingOwnerJoinsAsBackup) {
  auto low = wire.addRouter(params(100, "192.0.2.1", false));
  auto owner = wire.addRouter(params(255, "192.0.2.2", true));
  wire.start(low);
  wire.advance(seconds(5));
  wire.start(owner);
  wire.advance(seconds(30));
  EXPECT_EQ(wire.state(owner), State::kBackup);
  EXPECT_FALSE(wire.holdsAddresses(owner));
  EXPECT_EQ(wire.state(low), State::kMaster);
  EXPECT_EQ(wire.masterCount(), 1u);
}

// With nobody else on the wire, a router waiting for sync still becomes master on its timer.
TEST_F(VrrpTrackSyncScenario, AloneItStillServes) {
  auto only = wire.addRouter(params(255, "192.0.2.1", true));
  wire.start(only);
  wire.advance(seconds(5));
  EXPECT_EQ(wire.lastEntered(only, State::kMaster), at(kDown255));
}

}  // namespace
}  // namespace ha::vrrp
