// A healing split brain (tests/netns/test_partition_heal.sh found it): the
// master that stays must announce its addresses again when it hears the other
// master, or the router and the reals keep sending to the one that yields (it
// announced last, during the partition).
#include <gtest/gtest.h>

#include "tests/fakes/fake_vrrp_wire.h"
#include "tests/fakes/manual_clock.h"
#include "vrrp/state_machine.h"

namespace ha::vrrp {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using test::FakeVrrpWire;
using test::ManualClock;

constexpr TimePoint kNow = ManualClock::kStart;

IpAddress ip(const char *text) { return *IpAddress::parse(text); }

Params params(uint8_t priority, const char *address, Duration interval = seconds(1)) {
  Params p;
  p.priority = priority;
  p.primaryAddress = ip(address);
  p.advertInterval = interval;
  return p;
}

event::AdvertReceived advert(const char *from, uint8_t priority, Duration interval = seconds(1)) {
  return event::AdvertReceived{ip(from), priority, interval};
}

// keepalived vrrp_state_master_rx(): a master answers a lower-priority advert
// with an advert and announces its addresses again (garp_lower_prio_repeat).
TEST(VrrpSplitBrain, MasterReannouncesOnLowerPriorityAdvert) {
  StateMachine m(params(255, "192.0.2.1"));
  m.handle(event::Startup{}, kNow);
  auto a = m.handle(advert("192.0.2.2", 100), kNow + milliseconds(500));
  EXPECT_EQ(a.sendAdvertPriority, 255);
  EXPECT_TRUE(a.reannounceAddresses);
  EXPECT_FALSE(a.takeAddresses);  // already held: announced, not added again
  EXPECT_FALSE(a.transition);
}

// A priority-0 advert is a master leaving, not a second master: no
// announcement.
TEST(VrrpSplitBrain, PriorityZeroIsNotReannounced) {
  StateMachine m(params(255, "192.0.2.1"));
  m.handle(event::Startup{}, kNow);
  auto a = m.handle(advert("192.0.2.2", 0), kNow + milliseconds(500));
  EXPECT_EQ(a.sendAdvertPriority, 255);
  EXPECT_FALSE(a.reannounceAddresses);
}

// A peer that keeps advertising a lower priority without yielding gets at most
// one announcement per Master_Down_Interval (3 x 1 s + skew 1/256 s for the
// owner), never one per advert.
TEST(VrrpSplitBrain, ReannouncementIsRateLimited) {
  StateMachine m(params(255, "192.0.2.1"));
  m.handle(event::Startup{}, kNow);
  const Duration gap = m.masterDownInterval();
  ASSERT_EQ(gap, seconds(3) + std::chrono::microseconds(3906) + std::chrono::nanoseconds(250));
  EXPECT_TRUE(m.handle(advert("192.0.2.2", 100), kNow + seconds(1)).reannounceAddresses);
  int announced = 0;
  for (int i = 1; i <= 10; ++i) {
    if (m.handle(advert("192.0.2.2", 100), kNow + seconds(1) + i * milliseconds(300))
            .reannounceAddresses)
      ++announced;
  }
  EXPECT_EQ(announced, 0);  // 3 s of adverts, all within the gap
  EXPECT_FALSE(m.handle(advert("192.0.2.2", 100), kNow + seconds(1) + gap - milliseconds(1))
                   .reannounceAddresses);
  EXPECT_TRUE(m.handle(advert("192.0.2.2", 100), kNow + seconds(1) + gap).reannounceAddresses);
}

// A backup hearing a lower priority (it is about to preempt) announces nothing:
// it holds nothing.
TEST(VrrpSplitBrain, BackupDoesNotReannounce) {
  StateMachine m(params(150, "192.0.2.1"));
  m.handle(event::Startup{}, kNow);
  auto a = m.handle(advert("192.0.2.2", 100), kNow + milliseconds(500));
  EXPECT_FALSE(a.reannounceAddresses);
  EXPECT_EQ(m.state(), State::kBackup);
}

// The drill on the fake wire: a partition makes two masters, the lower one
// announces last; after the heal the higher one stays master, and the last
// announcement neighbours hear is its own, within one delivery of the heal
// (advert 0.1 s, as the netns drill).
TEST(VrrpSplitBrain, AfterHealTheLastAnnouncementIsTheMasters) {
  ManualClock clock;
  FakeVrrpWire wire(clock);
  auto a = wire.addRouter(params(150, "198.51.100.2", milliseconds(100)));
  auto b = wire.addRouter(params(100, "198.51.100.3", milliseconds(100)));
  wire.start(a);
  wire.start(b);
  wire.advance(seconds(2));
  ASSERT_EQ(wire.state(a), State::kMaster);
  ASSERT_EQ(wire.state(b), State::kBackup);
  wire.partition(b, true);
  wire.advance(seconds(2));
  ASSERT_EQ(wire.masterCount(), 2u);
  ASSERT_FALSE(wire.announcements().empty());
  EXPECT_EQ(wire.announcements().back().router, b);  // the router now follows b
  const TimePoint healed = clock.now();
  wire.partition(b, false);
  wire.advance(seconds(2));
  EXPECT_EQ(wire.masterCount(), 1u);
  EXPECT_EQ(wire.state(a), State::kMaster);
  ASSERT_EQ(wire.announcements().back().router, a);
  // b's next advert (within 0.1 s of the heal) reaches a 1 ms later; a
  // announces on it.
  EXPECT_LE(wire.announcements().back().at - healed, milliseconds(102));
  size_t after = 0;
  for (const auto &an : wire.announcements()) after += an.at >= healed ? 1 : 0;
  EXPECT_EQ(after, 1u);  // b yielded at a's answer: one announcement, no storm
}

// A master yielding to a higher priority first advertises its own (lower) priority, never 0:
// the winner, which may not have heard it yet, learns of the split brain from it.
TEST(VrrpSplitBrain, YieldingMasterAdvertisesItsPriorityFirst) {
  StateMachine m(params(100, "198.51.100.3"));
  m.handle(event::Startup{}, kNow);
  m.handle(event::MasterDownExpired{}, kNow + seconds(4));
  ASSERT_EQ(m.state(), State::kMaster);
  auto a = m.handle(advert("198.51.100.2", 150), kNow + seconds(5));
  EXPECT_EQ(a.sendAdvertPriority, 100);
  EXPECT_TRUE(a.releaseAddresses);
  ASSERT_TRUE(a.transition);
  EXPECT_EQ(a.transition->to, State::kBackup);
}

// The heal race the other way round: the winner's advert reaches the loser first (the loser's
// next advert is lost), so the winner never hears the loser as a master. The loser's advert on
// yielding still makes the winner announce, and the neighbours follow it.
TEST(VrrpSplitBrain, WinnerAnnouncesWhenItsAdvertArrivesFirst) {
  ManualClock clock;
  FakeVrrpWire wire(clock);
  auto a = wire.addRouter(params(150, "198.51.100.2", milliseconds(100)));
  auto b = wire.addRouter(params(100, "198.51.100.3", milliseconds(100)));
  wire.start(a);
  wire.start(b);
  wire.advance(seconds(2));
  wire.partition(b, true);
  wire.advance(seconds(2));
  ASSERT_EQ(wire.masterCount(), 2u);
  const TimePoint healed = clock.now();
  wire.partition(b, false);
  wire.dropNext(b, 1);  // b's next regular advert is lost: a's reaches b first
  wire.advance(seconds(2));
  EXPECT_EQ(wire.masterCount(), 1u);
  EXPECT_EQ(wire.state(a), State::kMaster);
  ASSERT_EQ(wire.announcements().back().router, a);
  EXPECT_LE(wire.announcements().back().at - healed, milliseconds(102));
}

}  // namespace
}  // namespace ha::vrrp
