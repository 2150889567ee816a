// vrrp::Router on ManualClock: master-down timing (v2, v3, learned intervals), preemption
// (preempt, nopreempt, preempt_delay) and priority 0 on stop, asserted at exact times through
// what the Router does to its ports (adverts sent, addresses in the fake kernel).
#include <gtest/gtest.h>

#include "tests/unit/vrrp/router_rig.h"

namespace ha::vrrp {
namespace {

using namespace test_rig;
class VrrpRouter : public RouterRig {};

// A lone v3 backup becomes MASTER exactly Master_Down_Interval (3.609375 s at priority 100)
// after startup: it advertises, takes the VIP and announces it then, and advertises every second.
TEST_F(VrrpRouter, MasterDownIntervalV3) {
  apply({instance()});
  EXPECT_EQ(state(), State::kBackup);
  advanceTo(down(100) - 1ns);
  EXPECT_EQ(state(), State::kBackup);
  EXPECT_TRUE(transport.sent().empty());
  EXPECT_FALSE(holds("192.0.2.100/24"));
  advanceTo(down(100));
  EXPECT_EQ(state(), State::kMaster);
  EXPECT_TRUE(holds("192.0.2.100/24"));
  EXPECT_EQ(announcer.countAt(at(down(100))), 5u);  // garp_master_repeat
  advanceTo(down(100) + 2s);
  using P = std::pair<Duration, int>;
  EXPECT_EQ(sentFrom("192.0.2.1"),
            (std::vector<P>{{down(100), 100}, {down(100) + 1s, 100}, {down(100) + 2s, 100}}));
  const auto& first = transport.sent().front();
  EXPECT_EQ(first.destination, ip("224.0.0.18"));
  EXPECT_EQ(first.ifindex, 2u);
  EXPECT_EQ(first.advert.addresses, std::vector<IpAddress>{ip("192.0.2.100")});
  EXPECT_EQ(first.advert.adverIntervalCs, 100);
}

// v3 (RFC 5798 §6.4.2): each advert from a higher priority resets Master_Down_Timer, with the
// master's own interval learned from the packet: 3 x 0.5 s + 156 x 0.5 s / 256 = 1.8046875 s.
TEST_F(VrrpRouter, BackupLearnsTheMastersIntervalV3) {
  apply({instance()});
  advanceTo(1s);
  hear(2, "192.0.2.9", advert(1, 200, "192.0.2.100", Version::kV3, 50));
  EXPECT_EQ(status("VI_1").masterAdverInterval, 500ms);
  EXPECT_EQ(status("VI_1").master, ip("192.0.2.9"));
  advanceTo(1s + 1804687500ns - 1ns);
  EXPECT_EQ(state(), State::kBackup);
  advanceTo(1s + 1804687500ns);
  EXPECT_EQ(state(), State::kMaster);
  EXPECT_EQ(transport.sent().front().at, at(1s + 1804687500ns));
}

// v2 (RFC 3768 §6.1): skew is (256 - priority) / 256 s whatever the interval; a priority-200
// backup that last heard the master at 2 s takes over at 2 s + 3.21875 s. An advert with another
// interval is dropped (interval_mismatch) and resets nothing.
TEST_F(VrrpRouter, MasterDownIntervalV2) {
  auto c = instance("VI_1", "lan0", 1, 200);
  c.version = Version::kV2;
  apply({c});
  advanceTo(2s);
  hear(2, "192.0.2.9", advert(1, 250, "192.0.2.100", Version::kV2, 100));
  advanceTo(3s);
  hear(2, "192.0.2.9", advert(1, 250, "192.0.2.100", Version::kV2, 200));
  EXPECT_EQ(status("VI_1").counters.dropped[static_cast<size_t>(DropReason::kIntervalMismatch)],
            1u);
  EXPECT_EQ(status("VI_1").counters.advertsReceived, 1u);
  advanceTo(2s + down(200) - 1ns);
  EXPECT_EQ(state(), State::kBackup);
  advanceTo(2s + down(200));
  EXPECT_EQ(state(), State::kMaster);
  ASSERT_EQ(transport.sent().size(), 1u);
  EXPECT_EQ(transport.sent()[0].advert.version, Version::kV2);
}

// Preempt (the default): a higher-priority backup discards the lower master's adverts, so its
// startup timer runs out at 3.21875 s and it takes over, advertising 200.
TEST_F(VrrpRouter, PreemptsALowerPriorityMaster) {
  apply({instance("VI_1", "lan0", 1, 200)});
  for (Duration t = 500ms; t < 3s; t += 1s) {
    advanceTo(t);
    hear(2, "192.0.2.9", advert(1, 100));
  }
  advanceTo(down(200) - 1ns);
  EXPECT_EQ(state(), State::kBackup);
  advanceTo(down(200));
  EXPECT_EQ(state(), State::kMaster);
  using P = std::pair<Duration, int>;
  EXPECT_EQ(sentFrom("192.0.2.1"), (std::vector<P>{{down(200), 200}}));
}

// nopreempt: the same backup accepts the lower master's adverts (each resets its timer) and
// takes over only Master_Down_Interval after the last one, heard at 10.5 s.
TEST_F(VrrpRouter, NopreemptWaitsForTheLowerMastersSilence) {
  auto c = instance("VI_1", "lan0", 1, 200);
  c.preempt = false;
  apply({c});
  for (Duration t = 500ms; t <= 10500ms; t += 1s) {
    advanceTo(t);
    hear(2, "192.0.2.9", advert(1, 100));
  }
  advanceTo(10500ms + down(200) - 1ns);
  EXPECT_EQ(state(), State::kBackup);
  EXPECT_TRUE(transport.sent().empty());
  advanceTo(10500ms + down(200));
  EXPECT_EQ(state(), State::kMaster);
}

// preempt_delay 10 s (keepalived): counted from the first lower-priority advert (0.5 s); adverts
// before 10.5 s are accepted, the one at 10.5 s is discarded, so the timer armed by the 9.5 s
// advert makes it master at 9.5 s + 3.21875 s.
TEST_F(VrrpRouter, PreemptDelayCountsFromTheFirstLowerAdvert) {
  auto c = instance("VI_1", "lan0", 1, 200);
  c.preemptDelay = 10s;
  apply({c});
  for (Duration t = 500ms; t <= 12500ms; t += 1s) {
    advanceTo(t);
    hear(2, "192.0.2.9", advert(1, 100));
  }
  EXPECT_EQ(state(), State::kBackup);
  advanceTo(9500ms + down(200) - 1ns);
  EXPECT_EQ(state(), State::kBackup);
  advanceTo(9500ms + down(200));
  EXPECT_EQ(state(), State::kMaster);
  EXPECT_EQ(transport.sent().front().at, at(9500ms + down(200)));
}

// A master's priority-0 advert (RFC 5798 §6.4.2) makes the backup take over after Skew_Time
// (156/256 s at priority 100), not Master_Down_Interval.
TEST_F(VrrpRouter, PriorityZeroMakesTheBackupTakeOverAtSkewTime) {
  apply({instance()});
  advanceTo(1s);
  hear(2, "192.0.2.9", advert(1, 200));
  advanceTo(1500ms);
  hear(2, "192.0.2.9", advert(1, 0));
  EXPECT_EQ(status("VI_1").counters.priorityZeroReceived, 1u);
  advanceTo(1500ms + 609375us - 1ns);
  EXPECT_EQ(state(), State::kBackup);
  advanceTo(1500ms + 609375us);
  EXPECT_EQ(state(), State::kMaster);
}

// shutdown() as MASTER: one advert with priority 0 at that instant, the VIP removed, the socket
// detached, notify_stop with priority 0; nothing is sent afterwards.
TEST_F(VrrpRouter, ShutdownSendsPriorityZero) {
  apply({instance()});
  advanceTo(5s);
  ASSERT_EQ(state(), State::kMaster);
  const size_t before = transport.sent().size();
  router.shutdown();
  ASSERT_EQ(transport.sent().size(), before + 1);
  EXPECT_EQ(transport.sent().back().advert.priority, 0);
  EXPECT_EQ(transport.sent().back().at, at(5s));
  EXPECT_FALSE(holds("192.0.2.100/24"));
  EXPECT_TRUE(transport.attached().empty());
  EXPECT_EQ(notified.back(), "VI_1 INIT 0");
  advanceTo(30s);
  EXPECT_EQ(transport.sent().size(), before + 1);
  EXPECT_EQ(clock.pending(), 0u);
}

// keepalived's become_master / release_master: counted on entering MASTER and on leaving it for
// a higher-priority master's advert (keepalived-exporter reads both).
TEST_F(VrrpRouter, BecomeAndReleaseMasterAreCounted) {
  apply({instance()});
  advanceTo(5s);
  ASSERT_EQ(state(), State::kMaster);
  EXPECT_EQ(status("VI_1").counters.becameMaster, 1u);
  EXPECT_EQ(status("VI_1").counters.releasedMaster, 0u);
  hear(2, "192.0.2.9", advert(1, 200));
  ASSERT_EQ(state(), State::kBackup);
  EXPECT_EQ(status("VI_1").counters.becameMaster, 1u);
  EXPECT_EQ(status("VI_1").counters.releasedMaster, 1u);
}

// shutdown() as BACKUP sends nothing (there is nothing to hand over).
TEST_F(VrrpRouter, ShutdownAsBackupSendsNothing) {
  apply({instance()});
  advanceTo(1s);
  router.shutdown();
  EXPECT_TRUE(transport.sent().empty());
  EXPECT_EQ(clock.pending(), 0u);
}

// An advert for an unknown VRID is counted on the router, not fed to any instance.
TEST_F(VrrpRouter, UnknownVridIsCountedOnTheRouter) {
  apply({instance()});
  hear(2, "192.0.2.9", advert(7, 200));
  EXPECT_EQ(router.snapshot().counters.dropped[static_cast<size_t>(DropReason::kUnknownVrid)], 1u);
  EXPECT_EQ(status("VI_1").counters.advertsReceived, 0u);
}

}  // namespace
}  // namespace ha::vrrp
