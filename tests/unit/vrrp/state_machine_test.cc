// The VRRP state machine, RFC 5798 §6.4 plus keepalived 2.2.7's behaviour: first single-machine
// steps (what each event returns), then scenarios on FakeVrrpWire with exact takeover times.
// Times below are worked by hand: priority 200 at 1 s -> down 3.21875 s, 150 -> 3.4140625 s,
// 100 -> 3.609375 s (skew = (256 - p) / 256 s); the wire delivers after 1 ms.
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
constexpr Duration kDown150 = microseconds(3414062) + std::chrono::nanoseconds(500);
constexpr Duration kDown100 = microseconds(3609375);

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

Params params(uint8_t priority, const char* address, bool preempt = true) {
  Params p;
  p.priority = priority;
  p.primaryAddress = ip(address);
  p.preempt = preempt;
  return p;
}

event::AdvertReceived advert(const char* from, uint8_t priority, Duration interval = seconds(1)) {
  return event::AdvertReceived{ip(from), priority, interval};
}

// RFC 5798 §6.4.1: the owner advertises, takes the addresses and arms Adver_Timer at once.
TEST(VrrpStateMachine, OwnerStartsAsMaster) {
  StateMachine m(params(255, "192.0.2.1"));
  auto a = m.handle(event::Startup{}, kNow);
  ASSERT_TRUE(a.transition);
  EXPECT_EQ(a.transition->from, State::kInitialize);
  EXPECT_EQ(a.transition->to, State::kMaster);
  EXPECT_EQ(a.sendAdvertPriority, 255);
  EXPECT_TRUE(a.takeAddresses);
  EXPECT_EQ(a.adverAt, kNow + seconds(1));
  EXPECT_FALSE(a.masterDownAt);
  EXPECT_EQ(m.masterAddress(), ip("192.0.2.1"));
}

// RFC 5798 §6.4.1: anyone else starts as Backup with Master_Down_Timer and sends nothing.
TEST(VrrpStateMachine, BackupStartsWithMasterDownTimer) {
  StateMachine m(params(100, "192.0.2.1"));
  auto a = m.handle(event::Startup{}, kNow);
  ASSERT_TRUE(a.transition);
  EXPECT_EQ(a.transition->to, State::kBackup);
  EXPECT_EQ(a.transition->reason, "startup");
  EXPECT_FALSE(a.sendAdvertPriority);
  EXPECT_FALSE(a.takeAddresses);
  EXPECT_EQ(a.masterDownAt, kNow + kDown100);
  EXPECT_FALSE(a.adverAt);
}

// keepalived 2.2.7 vrrp_init_state(): `state MASTER` below 255 waits a full master down interval
// like any backup; vrrp_complete_instance() clears its nopreempt and preempt_delay.
TEST(VrrpStateMachine, StateMasterBelowOwnerStartsAsBackup) {
  Params p = params(150, "192.0.2.1", /*preempt=*/false);
  p.initialState = InitialState::kMaster;
  p.preemptDelay = seconds(30);
  StateMachine m(p);
  EXPECT_TRUE(m.params().preempt);
  EXPECT_EQ(m.params().preemptDelay, Duration::zero());
  auto a = m.handle(event::Startup{}, kNow);
  EXPECT_EQ(a.transition->to, State::kBackup);
  EXPECT_EQ(a.masterDownAt, kNow + kDown150);
}

// A timer event delivered after its deadline moved (a stale Asio handler) changes nothing.
TEST(VrrpStateMachine, StaleTimerEventsAreIgnored) {
  StateMachine m(params(100, "192.0.2.1"));
  m.handle(event::Startup{}, kNow);
  m.handle(advert("192.0.2.2", 200), kNow + seconds(2));
  auto a = m.handle(event::MasterDownExpired{}, kNow + kDown100);
  EXPECT_FALSE(a.transition);
  EXPECT_EQ(a.masterDownAt, kNow + seconds(2) + kDown100);
  EXPECT_FALSE(m.handle(event::AdverExpired{}, kNow + seconds(9)).sendAdvertPriority);
}

// RFC 5798 §6.4.2: a priority-0 advert cuts the backup's timer to Skew_Time.
TEST(VrrpStateMachine, BackupPriorityZeroArmsSkewTime) {
  StateMachine m(params(100, "192.0.2.1"));
  m.handle(event::Startup{}, kNow);
  auto a = m.handle(advert("192.0.2.2", 0), kNow + seconds(1));
  EXPECT_EQ(a.masterDownAt, kNow + seconds(1) + microseconds(609375));
  auto b = m.handle(event::MasterDownExpired{}, *a.masterDownAt);
  ASSERT_TRUE(b.transition);
  EXPECT_EQ(b.transition->reason, "master down timer expired (master 192.0.2.2 sent priority 0)");
  EXPECT_EQ(b.sendAdvertPriority, 100);
  EXPECT_TRUE(b.takeAddresses);
}

// RFC 5798 §6.4.3 + keepalived vrrp_state_master_rx(): a master answers priority 0 and lower
// priorities with an advert at once and restarts Adver_Timer from it.
TEST(VrrpStateMachine, MasterAnswersPriorityZeroAndLowerPriority) {
  StateMachine m(params(255, "192.0.2.1"));
  m.handle(event::Startup{}, kNow);
  auto a = m.handle(advert("192.0.2.2", 0), kNow + milliseconds(300));
  EXPECT_EQ(a.sendAdvertPriority, 255);
  EXPECT_EQ(a.adverAt, kNow + milliseconds(1300));
  auto b = m.handle(advert("192.0.2.2", 100), kNow + milliseconds(500));
  EXPECT_EQ(b.sendAdvertPriority, 255);
  EXPECT_EQ(b.adverAt, kNow + milliseconds(1500));
  EXPECT_FALSE(b.transition);
}

// RFC 5798 §6.4.3: a higher priority makes the master a backup that learns the interval.
TEST(VrrpStateMachine, MasterYieldsToHigherPriority) {
  StateMachine m(params(255, "192.0.2.1"));
  m.handle(event::Startup{}, kNow);
  m.handle(event::PriorityChanged{100}, kNow);  // ignored: the owner's priority is fixed
  EXPECT_EQ(m.priority(), 255);
  StateMachine b(params(100, "192.0.2.1"));
  b.handle(event::GroupFollow{State::kMaster, "test"}, kNow);  // not started: ignored
  b.handle(event::Startup{}, kNow);
  b.handle(event::MasterDownExpired{}, kNow + kDown100);
  ASSERT_EQ(b.state(), State::kMaster);
  auto a = b.handle(advert("198.51.100.3", 150, milliseconds(500)), kNow + seconds(5));
  ASSERT_TRUE(a.transition);
  EXPECT_EQ(a.transition->reason, "higher priority 150 from 198.51.100.3");
  EXPECT_TRUE(a.releaseAddresses);
  EXPECT_EQ(a.sendAdvertPriority, 100);  // its own priority, never 0 (split_brain_test.cc)
  EXPECT_FALSE(a.adverAt);
  EXPECT_EQ(b.masterAdverInterval(), milliseconds(500));
  // 3 * 0.5 s + 156 * 0.5 s / 256 = 1.5 s + 0.3046875 s
  EXPECT_EQ(a.masterDownAt,
            kNow + seconds(5) + microseconds(1804687) + std::chrono::nanoseconds(500));
  EXPECT_EQ(b.masterAddress(), ip("198.51.100.3"));
}

// RFC 5798 §6.4.3 Shutdown: a master sends priority 0 and releases; a backup just stops.
TEST(VrrpStateMachine, ShutdownFromMasterAndBackup) {
  StateMachine m(params(255, "192.0.2.1"));
  m.handle(event::Startup{}, kNow);
  auto a = m.handle(event::Shutdown{}, kNow + seconds(1));
  EXPECT_EQ(a.sendAdvertPriority, 0);
  EXPECT_TRUE(a.releaseAddresses);
  EXPECT_EQ(a.transition->to, State::kInitialize);
  EXPECT_EQ(a.transition->reason, "shutdown");
  EXPECT_FALSE(a.adverAt);
  StateMachine b(params(100, "192.0.2.1"));
  b.handle(event::Startup{}, kNow);
  auto c = b.handle(event::Shutdown{}, kNow);
  EXPECT_FALSE(c.sendAdvertPriority);
  EXPECT_FALSE(c.releaseAddresses);
  EXPECT_FALSE(c.masterDownAt);
  EXPECT_EQ(b.state(), State::kInitialize);
}

// keepalived vrrp_state_leave_master()/try_up_instance(): a faulted master sends priority 0 and
// releases; adverts are ignored in FAULT; recovery is BACKUP with a full timer (owner: MASTER).
TEST(VrrpStateMachine, FaultAndRecovery) {
  StateMachine m(params(100, "192.0.2.1"));
  m.handle(event::Startup{}, kNow);
  m.handle(event::MasterDownExpired{}, kNow + kDown100);
  auto a = m.handle(event::FaultChanged{true, "interface eth1 down"}, kNow + seconds(5));
  EXPECT_EQ(a.transition->to, State::kFault);
  EXPECT_EQ(a.transition->reason, "interface eth1 down");
  EXPECT_EQ(a.sendAdvertPriority, 0);
  EXPECT_TRUE(a.releaseAddresses);
  EXPECT_FALSE(a.masterDownAt || a.adverAt || a.preemptDelayUntil);
  EXPECT_FALSE(m.handle(advert("192.0.2.2", 50), kNow + seconds(6)).sendAdvertPriority);
  auto b = m.handle(event::FaultChanged{false, ""}, kNow + seconds(7));
  EXPECT_EQ(b.transition->to, State::kBackup);
  EXPECT_EQ(b.transition->reason, "fault cleared");
  EXPECT_EQ(b.masterDownAt, kNow + seconds(7) + kDown100);
  StateMachine o(params(255, "192.0.2.1"));
  o.handle(event::FaultChanged{true, "down"}, kNow);
  EXPECT_EQ(o.handle(event::Startup{}, kNow).transition->to, State::kFault);
  EXPECT_EQ(o.handle(event::FaultChanged{false, ""}, kNow).transition->to, State::kMaster);
}

// keepalived vrrp_sync_*: group follows move members, never re-follow the current state, and
// a member with a fault of its own stays in FAULT.
TEST(VrrpStateMachine, GroupFollow) {
  StateMachine m(params(100, "192.0.2.1"));
  m.handle(event::Startup{}, kNow);
  auto up = m.handle(event::GroupFollow{State::kMaster, "sync group G: VI_2 became MASTER"}, kNow);
  EXPECT_EQ(up.transition->to, State::kMaster);
  EXPECT_EQ(up.sendAdvertPriority, 100);
  EXPECT_TRUE(up.takeAddresses);
  EXPECT_FALSE(m.handle(event::GroupFollow{State::kMaster, ""}, kNow).transition);
  auto down = m.handle(event::GroupFollow{State::kBackup, ""}, kNow + seconds(1));
  EXPECT_EQ(down.transition->to, State::kBackup);
  EXPECT_TRUE(down.releaseAddresses);
  EXPECT_FALSE(down.sendAdvertPriority);
  EXPECT_EQ(down.masterDownAt, kNow + seconds(1) + kDown100);
  EXPECT_EQ(m.handle(event::GroupFollow{State::kFault, ""}, kNow).transition->to, State::kFault);
  EXPECT_EQ(m.handle(event::GroupFollow{State::kBackup, ""}, kNow).transition->to, State::kBackup);
  m.handle(event::FaultChanged{true, "own"}, kNow);
  EXPECT_FALSE(m.handle(event::GroupFollow{State::kBackup, ""}, kNow).transition);
  EXPECT_FALSE(m.handle(event::GroupFollow{State::kMaster, ""}, kNow).transition);
}

// A master whose priority drops keeps MASTER but advertises the new priority.
TEST(VrrpStateMachine, MasterAdvertisesItsNewPriority) {
  StateMachine m(params(200, "192.0.2.1"));
  m.handle(event::Startup{}, kNow);
  m.handle(event::MasterDownExpired{}, kNow + kDown200);
  EXPECT_FALSE(m.handle(event::PriorityChanged{90}, kNow + seconds(4)).transition);
  auto a = m.handle(event::AdverExpired{}, kNow + kDown200 + seconds(1));
  EXPECT_EQ(a.sendAdvertPriority, 90);
  EXPECT_EQ(m.state(), State::kMaster);
}

// ---- Scenarios on the fake wire ----

class VrrpScenario : public ::testing::Test {
 protected:
  size_t add(Params p) { return wire.addRouter(p); }
  TimePoint at(Duration d) const { return kNow + d; }
  ManualClock clock;
  FakeVrrpWire wire{clock, kDelay};
};

// RFC 5798 §6.4.1 on the wire: the owner is master from the first instant; the backup stays.
TEST_F(VrrpScenario, OwnerStartup) {
  auto owner = add(params(255, "192.0.2.1"));
  auto backup = add(params(200, "192.0.2.2"));
  wire.start(backup);
  wire.start(owner);
  EXPECT_EQ(wire.state(owner), State::kMaster);
  EXPECT_TRUE(wire.holdsAddresses(owner));
  wire.advance(seconds(30));
  EXPECT_EQ(wire.state(backup), State::kBackup);
  EXPECT_EQ(wire.masterCount(), 1u);
  EXPECT_EQ(wire.holderCount(), 1u);
}

// RFC 5798 §6.4.2: the backup takes over exactly Master_Down_Interval after the last advert
// it heard (the master crashed silently).
TEST_F(VrrpScenario, BackupTakesOverAfterMasterDownInterval) {
  auto a = add(params(200, "192.0.2.1"));
  auto b = add(params(100, "192.0.2.2"));
  wire.start(a);
  wire.start(b);
  wire.advance(seconds(4));
  ASSERT_EQ(wire.lastEntered(a, State::kMaster), at(kDown200));  // its own timer, before b's
  // a advertises at 3.21875 + k s; crash it at 10 s: the last advert was sent at 9.21875 s.
  wire.advance(seconds(6));
  wire.crash(a);
  wire.advance(seconds(10));
  EXPECT_EQ(wire.lastEntered(b, State::kMaster), at(kDown200 + seconds(6) + kDelay + kDown100));
  EXPECT_EQ(wire.masterCount(), 1u);
}

// RFC 5798 §6.4.2: a higher-priority backup with preempt discards the lower master's adverts
// and takes over when its own timer (armed at startup) runs out; the old master yields.
TEST_F(VrrpScenario, PreemptByHigherPriority) {
  auto low = add(params(100, "192.0.2.1"));
  auto high = add(params(200, "192.0.2.2"));
  wire.start(low);
  wire.advance(seconds(5));
  ASSERT_EQ(wire.state(low), State::kMaster);
  wire.start(high);  // at 5 s
  wire.advance(seconds(5));
  EXPECT_EQ(wire.lastEntered(high, State::kMaster), at(seconds(5) + kDown200));
  EXPECT_EQ(wire.lastEntered(low, State::kBackup), at(seconds(5) + kDown200 + kDelay));
  const auto& last = wire.changes().back();
  EXPECT_EQ(last.transition.reason, "higher priority 200 from 192.0.2.2");
  EXPECT_EQ(wire.masterCount(), 1u);
}

// nopreempt: the higher-priority backup leaves the master alone until it dies.
TEST_F(VrrpScenario, NopreemptWaitsForTheMastersDeath) {
  auto low = add(params(100, "192.0.2.1"));
  auto high = add(params(200, "192.0.2.2", /*preempt=*/false));
  wire.start(low);
  wire.advance(seconds(5));
  wire.start(high);
  wire.advance(seconds(60));
  EXPECT_EQ(wire.state(high), State::kBackup);
  EXPECT_EQ(wire.state(low), State::kMaster);
  // low became master at 3.609375 s and advertises each second: the last one before the crash
  // at 65 s was sent at 64.609375 s.
  wire.crash(low);
  wire.advance(seconds(10));
  EXPECT_EQ(wire.lastEntered(high, State::kMaster), at(kDown100 + seconds(61) + kDelay + kDown200));
}

// keepalived preempt_delay: the delay starts at the first lower-priority advert (heard at
// M + 1.001 s, M = 3.609375 s when low became master), so preemptTime = M + 11.001 s; adverts
// heard before it still reset the timer, the one heard at M + 11.001 s is discarded, so high
// takes over at M + 10.001 s + 3.21875 s.
TEST_F(VrrpScenario, PreemptDelayWaitsThenPreemptsAtTheExactTime) {
  auto low = add(params(100, "192.0.2.1"));
  Params p = params(200, "192.0.2.2");
  p.preemptDelay = seconds(10);
  auto high = add(p);
  wire.start(low);
  wire.advance(kDown100 + milliseconds(500));
  wire.start(high);
  wire.advance(seconds(1));
  const TimePoint preemptAt = at(kDown100 + seconds(11) + kDelay);
  EXPECT_EQ(wire.status(high).preemptTime, preemptAt);
  wire.advance(seconds(11));  // past preemptAt, still backup
  EXPECT_EQ(wire.state(high), State::kBackup);
  wire.advance(seconds(5));
  EXPECT_EQ(wire.lastEntered(high, State::kMaster), at(kDown100 + seconds(10) + kDelay + kDown200));
  EXPECT_EQ(wire.masterCount(), 1u);
}

// RFC 5798 §6.4.2: after the master's priority-0 advert the backup takes over at Skew_Time.
TEST_F(VrrpScenario, PriorityZeroTakeoverAtSkewTime) {
  auto a = add(params(200, "192.0.2.1"));
  auto b = add(params(100, "192.0.2.2"));
  wire.start(a);
  wire.start(b);
  wire.advance(seconds(10));
  wire.stop(a);  // at 10 s
  EXPECT_EQ(wire.sent().back().priority, 0);
  EXPECT_FALSE(wire.holdsAddresses(a));
  wire.advance(seconds(2));
  EXPECT_EQ(wire.lastEntered(b, State::kMaster), at(seconds(10) + kDelay + microseconds(609375)));
}

// RFC 5798 §6.4.3: equal priorities elect the higher primary address, compared as unsigned
// numbers (198.51.100.200 > 198.51.100.3, though "200" < "3" as text), whichever starts first.
TEST_F(VrrpScenario, EqualPriorityTieBreakByAddressBothWays) {
  for (bool highFirst : {true, false}) {
    ManualClock c;
    FakeVrrpWire w{c, kDelay};
    auto first = w.addRouter(params(100, highFirst ? "198.51.100.200" : "198.51.100.3"));
    auto second = w.addRouter(params(100, highFirst ? "198.51.100.3" : "198.51.100.200"));
    w.start(first);
    w.start(second);
    w.advance(seconds(10));  // both time out together, both advertise, one yields
    const size_t high = highFirst ? first : second;
    const size_t low = highFirst ? second : first;
    EXPECT_EQ(w.state(high), State::kMaster);
    EXPECT_EQ(w.state(low), State::kBackup);
    EXPECT_EQ(w.lastEntered(low, State::kBackup), kNow + kDown100 + kDelay);
    EXPECT_EQ(w.changes().back().transition.reason,
              "equal priority 100 from higher address 198.51.100.200");
  }
}

// RFC 5798 §6.4.2: a v3 backup learns a 200 ms master and times out after 3 * 0.2 s + 156 *
// 0.2 s / 256 = 0.721875 s rather than its configured 3.609375 s.
TEST_F(VrrpScenario, V3BackupLearnsTheMastersInterval) {
  Params fast = params(200, "192.0.2.1");
  fast.advertInterval = milliseconds(200);
  auto a = add(fast);
  auto b = add(params(100, "192.0.2.2"));
  wire.start(a);
  wire.start(b);
  wire.advance(seconds(2));
  // a: master at 3 * 0.2 s + 56 * 0.2 s / 256 = 0.64375 s, then every 0.2 s.
  ASSERT_EQ(wire.lastEntered(a, State::kMaster), at(microseconds(643750)));
  EXPECT_EQ(wire.status(b).masterAdverInterval, milliseconds(200));
  wire.crash(a);  // at 2 s; last advert at 1.84375 s
  wire.advance(seconds(2));
  EXPECT_EQ(wire.lastEntered(b, State::kMaster),
            at(microseconds(1843750) + kDelay + microseconds(721875)));
}

// RFC 3768: v2 has nothing to learn; the backup keeps 3 * 1 s + 0.609375 s.
TEST_F(VrrpScenario, V2UsesTheConfiguredInterval) {
  Params pa = params(200, "192.0.2.1");
  Params pb = params(100, "192.0.2.2");
  pa.version = pb.version = Version::kV2;
  auto a = add(pa);
  auto b = add(pb);
  wire.start(a);
  wire.start(b);
  wire.advance(seconds(10));
  EXPECT_EQ(wire.status(b).masterAdverInterval, seconds(1));
  wire.crash(a);  // last advert at 9.21875 s
  wire.advance(seconds(5));
  EXPECT_EQ(wire.lastEntered(b, State::kMaster), at(kDown200 + seconds(6) + kDelay + kDown100));
}

// FAULT: the master sends priority 0 (backup takes over at skew); once recovered it comes back
// as BACKUP and preempts when its full Master_Down_Interval runs out.
TEST_F(VrrpScenario, FaultAndRecovery) {
  auto a = add(params(200, "192.0.2.1"));
  auto b = add(params(100, "192.0.2.2"));
  wire.start(a);
  wire.start(b);
  wire.advance(seconds(10));
  wire.setFault(a, true);
  EXPECT_EQ(wire.state(a), State::kFault);
  EXPECT_FALSE(wire.holdsAddresses(a));
  wire.advance(seconds(5));
  EXPECT_EQ(wire.lastEntered(b, State::kMaster), at(seconds(10) + kDelay + microseconds(609375)));
  wire.setFault(a, false);  // at 15 s
  EXPECT_EQ(wire.state(a), State::kBackup);
  wire.advance(seconds(5));
  EXPECT_EQ(wire.lastEntered(a, State::kMaster), at(seconds(15) + kDown200));
  EXPECT_EQ(wire.state(b), State::kBackup);
  EXPECT_EQ(wire.holderCount(), 1u);
}

// A backup whose priority rises above the master's discards its next adverts and takes over
// when the timer, moved earlier by the smaller skew, runs out.
TEST_F(VrrpScenario, PriorityChangeMakesBackupPreempt) {
  auto a = add(params(100, "192.0.2.1"));
  auto b = add(params(50, "192.0.2.2"));
  wire.start(a);
  wire.start(b);
  wire.advance(seconds(10));  // a master since 3.609375 s; last advert heard at 9.610375 s
  wire.setPriority(b, 150);
  wire.advance(seconds(5));
  EXPECT_EQ(wire.lastEntered(b, State::kMaster), at(kDown100 + seconds(6) + kDelay + kDown150));
  EXPECT_EQ(wire.state(a), State::kBackup);
}

// A master whose priority drops below a backup's is preempted by it.
TEST_F(VrrpScenario, MasterPriorityDropLetsBackupPreempt) {
  auto a = add(params(200, "192.0.2.1"));
  auto b = add(params(150, "192.0.2.2"));
  wire.start(a);
  wire.start(b);
  wire.advance(seconds(10));
  wire.setPriority(a, 100);  // the 200 advert at 9.21875 s was the last b accepts
  wire.advance(seconds(5));
  EXPECT_EQ(wire.lastEntered(b, State::kMaster), at(kDown200 + seconds(6) + kDelay + kDown150));
  EXPECT_EQ(wire.state(a), State::kBackup);
  EXPECT_EQ(wire.masterCount(), 1u);
}

// Two and three routers started together, or one after another, end with exactly one master
// holding the addresses.
TEST_F(VrrpScenario, RoutersConvergeToOneMaster) {
  auto a = add(params(100, "192.0.2.1"));
  auto b = add(params(100, "192.0.2.2"));
  wire.start(a);
  wire.start(b);
  wire.advance(seconds(10));
  EXPECT_EQ(wire.masterCount(), 1u);
  auto c = add(params(150, "192.0.2.3"));
  wire.start(c);
  wire.advance(seconds(10));
  EXPECT_EQ(wire.masterCount(), 1u);
  EXPECT_EQ(wire.state(c), State::kMaster);
  EXPECT_EQ(wire.holderCount(), 1u);
  wire.stop(c);
  wire.advance(seconds(10));
  EXPECT_EQ(wire.masterCount(), 1u);
  EXPECT_EQ(wire.state(b), State::kMaster);  // equal priority: the higher address
}

// A partition makes two masters; once healed the lower one yields within one advert interval.
TEST_F(VrrpScenario, PartitionHealsToOneMaster) {
  auto a = add(params(200, "192.0.2.1"));
  auto b = add(params(100, "192.0.2.2"));
  wire.start(a);
  wire.start(b);
  wire.advance(seconds(10));
  wire.partition(b, true);
  wire.advance(seconds(10));
  EXPECT_EQ(wire.masterCount(), 2u);
  wire.partition(b, false);  // at 20 s
  wire.advance(seconds(1) + kDelay);
  EXPECT_EQ(wire.masterCount(), 1u);
  EXPECT_EQ(wire.state(a), State::kMaster);
  EXPECT_EQ(wire.holderCount(), 1u);
}

}  // namespace
}  // namespace ha::vrrp
