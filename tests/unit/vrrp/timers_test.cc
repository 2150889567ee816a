// Skew_Time and Master_Down_Interval worked by hand from the RFC formulas, in exact integer
// nanoseconds (ha::Duration):
//   RFC 5798 §6.1 (v3): Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256
//                       Master_Down_Interval = (3 * Master_Adver_Interval) + Skew_Time
//   RFC 3768 §6.1 (v2): Skew_Time = (256 - Priority) / 256 seconds
//                       Master_Down_Interval = (3 * Advertisement_Interval) + Skew_Time
#include <gtest/gtest.h>

#include "vrrp/state_machine.h"

namespace ha::vrrp {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

constexpr TimePoint kNow = TimePoint{} + std::chrono::hours(1);

StateMachine machine(Version version, uint8_t priority, Duration interval) {
  Params p;
  p.version = version;
  p.priority = priority;
  p.advertInterval = interval;
  p.primaryAddress = *IpAddress::parse("192.0.2.1");
  return StateMachine(p);
}

// v3, priority 100, 1 s: skew = 156 * 1 s / 256 = 0.609375 s; down = 3 s + 0.609375 s.
TEST(VrrpTimers, V3Priority100At1s) {
  auto m = machine(Version::kV3, 100, seconds(1));
  EXPECT_EQ(m.skewTime(), microseconds(609375));
  EXPECT_EQ(m.masterDownInterval(), microseconds(3609375));
}

// v3, priority 200, 100 ms: skew = 56 * 100 ms / 256 = 21.875 ms; down = 300 ms + 21.875 ms.
TEST(VrrpTimers, V3Priority200At100ms) {
  auto m = machine(Version::kV3, 200, milliseconds(100));
  EXPECT_EQ(m.skewTime(), microseconds(21875));
  EXPECT_EQ(m.masterDownInterval(), microseconds(321875));
}

// The ends of the priority range at 1 s: 254 -> 2/256 s = 7.8125 ms, 1 -> 255/256 s =
// 0.99609375 s, and the owner's 255 -> 1/256 s = 3.90625 ms.
TEST(VrrpTimers, V3PriorityExtremes) {
  EXPECT_EQ(machine(Version::kV3, 254, seconds(1)).skewTime(), nanoseconds(7812500));
  EXPECT_EQ(machine(Version::kV3, 254, seconds(1)).masterDownInterval(), nanoseconds(3007812500));
  EXPECT_EQ(machine(Version::kV3, 1, seconds(1)).skewTime(), nanoseconds(996093750));
  EXPECT_EQ(machine(Version::kV3, 1, seconds(1)).masterDownInterval(), nanoseconds(3996093750));
  EXPECT_EQ(machine(Version::kV3, 255, seconds(1)).skewTime(), nanoseconds(3906250));
}

// v3 skew scales with the interval: priority 100 at 3 s -> 156 * 3 s / 256 = 1.828125 s;
// down = 9 s + 1.828125 s = 10.828125 s.
TEST(VrrpTimers, V3SkewScalesWithInterval) {
  auto m = machine(Version::kV3, 100, seconds(3));
  EXPECT_EQ(m.skewTime(), microseconds(1828125));
  EXPECT_EQ(m.masterDownInterval(), microseconds(10828125));
}

// v2 skew does not: priority 100 at 3 s -> 156/256 s = 0.609375 s; down = 9.609375 s.
TEST(VrrpTimers, V2SkewIsInSecondsWhateverTheInterval) {
  auto m = machine(Version::kV2, 100, seconds(3));
  EXPECT_EQ(m.skewTime(), microseconds(609375));
  EXPECT_EQ(m.masterDownInterval(), microseconds(9609375));
}

// v2, priority 200, 2 s: skew = 56/256 s = 0.21875 s; down = 6 s + 0.21875 s = 6.21875 s.
TEST(VrrpTimers, V2Priority200At2s) {
  auto m = machine(Version::kV2, 200, seconds(2));
  EXPECT_EQ(m.skewTime(), microseconds(218750));
  EXPECT_EQ(m.masterDownInterval(), microseconds(6218750));
}

// RFC 5798 §6.4.2: a v3 backup learns Master_Adver_Interval from the advert. Priority 100 hearing
// a 200 ms master: skew = 156 * 200 ms / 256 = 121.875 ms; down = 600 ms + 121.875 ms.
TEST(VrrpTimers, V3BackupLearnsTheMastersInterval) {
  auto m = machine(Version::kV3, 100, seconds(1));
  m.handle(event::Startup{}, kNow);
  m.handle(event::AdvertReceived{*IpAddress::parse("192.0.2.9"), 200, milliseconds(200)}, kNow);
  EXPECT_EQ(m.masterAdverInterval(), milliseconds(200));
  EXPECT_EQ(m.skewTime(), microseconds(121875));
  EXPECT_EQ(m.masterDownInterval(), microseconds(721875));
  EXPECT_EQ(m.masterDownAt(), kNow + microseconds(721875));
}

// RFC 3768 has no interval in the advert to learn: a v2 backup keeps its configured 1 s
// (down 3.609375 s) whatever the advert's field says.
TEST(VrrpTimers, V2BackupKeepsTheConfiguredInterval) {
  auto m = machine(Version::kV2, 100, seconds(1));
  m.handle(event::Startup{}, kNow);
  m.handle(event::AdvertReceived{*IpAddress::parse("192.0.2.9"), 200, milliseconds(200)}, kNow);
  EXPECT_EQ(m.masterAdverInterval(), seconds(1));
  EXPECT_EQ(m.masterDownInterval(), microseconds(3609375));
}

// The effective priority drives the timers: 100 -> 150 gives skew = 106/256 s = 0.4140625 s and
// down = 3.4140625 s; a running Master_Down_Timer moves 0.1953125 s earlier with it.
TEST(VrrpTimers, EffectivePriorityDrivesSkew) {
  auto m = machine(Version::kV3, 100, seconds(1));
  m.handle(event::Startup{}, kNow);
  ASSERT_EQ(m.masterDownAt(), kNow + microseconds(3609375));
  auto a = m.handle(event::PriorityChanged{150}, kNow + seconds(1));
  EXPECT_EQ(m.skewTime(), microseconds(414062) + nanoseconds(500));
  EXPECT_EQ(m.masterDownInterval(), microseconds(3414062) + nanoseconds(500));
  EXPECT_EQ(a.masterDownAt, kNow + microseconds(3414062) + nanoseconds(500));
}

// The one inexact case: a 10 ms interval at priority 255 gives 10 ms / 256 = 39062.5 ns, which
// integer nanoseconds truncate to 39062 ns.
TEST(VrrpTimers, SubNanosecondSkewTruncates) {
  EXPECT_EQ(machine(Version::kV3, 255, milliseconds(10)).skewTime(), nanoseconds(39062));
}

}  // namespace
}  // namespace ha::vrrp
