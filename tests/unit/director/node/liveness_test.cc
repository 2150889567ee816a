// The watchdog's judgement: feed only while every loop's heartbeat ran within maxAge; name the
// loops that did not, and log a change of that set once.
#include "director/node/liveness.h"

#include <gtest/gtest.h>

namespace ha::director {
namespace {

using std::chrono::milliseconds;

const TimePoint kStart{std::chrono::seconds(1000)};

std::vector<LoopStamp> stamps(milliseconds director, milliseconds vrrp, milliseconds health) {
  return {{"director", kStart + director}, {"vrrp", kStart + vrrp}, {"health", kStart + health}};
}

// Every loop stamped within maxAge (the boundary included): feed.
TEST(Liveness, AllFreshFeeds) {
  auto l = assessLiveness(stamps(milliseconds(900), milliseconds(1000), milliseconds(500)),
                          kStart + milliseconds(1000), milliseconds(500));
  EXPECT_TRUE(l.feed);
  EXPECT_TRUE(l.stale.empty());
}

// One loop silent past maxAge stops the feeding and is named with how long it has been silent.
TEST(Liveness, OneStaleLoopStopsFeedingAndIsNamed) {
  auto l = assessLiveness(stamps(milliseconds(900), milliseconds(1000), milliseconds(100)),
                          kStart + milliseconds(1000), milliseconds(500));
  EXPECT_FALSE(l.feed);
  EXPECT_EQ(l.stale, (std::vector<StaleLoop>{{"health", milliseconds(900)}}));
}

// A stamp from "the future" (a heartbeat that ran after `now` was read) counts as fresh.
TEST(Liveness, StampAfterNowIsFresh) {
  auto l = assessLiveness(stamps(milliseconds(1200), milliseconds(1000), milliseconds(1000)),
                          kStart + milliseconds(1000), milliseconds(10));
  EXPECT_TRUE(l.feed);
}

// The change line: said when a loop goes stale (naming it) and when all recover; not repeated
// while the same loops stay stale.
TEST(Liveness, ChangeLineOnlyOnChange) {
  std::vector<StaleLoop> none;
  std::vector<StaleLoop> health{{"health", milliseconds(1500)}};
  std::vector<StaleLoop> healthLater{{"health", milliseconds(3000)}};
  EXPECT_EQ(
      livenessChangeLine(none, health),
      "watchdog: the health thread has not run for 1500 ms; systemd's watchdog is no longer fed");
  EXPECT_EQ(livenessChangeLine(health, healthLater), "");
  EXPECT_EQ(livenessChangeLine(health, none),
            "watchdog: every thread runs again; feeding systemd's watchdog");
  EXPECT_EQ(livenessChangeLine(none, none), "");
}

}  // namespace
}  // namespace ha::director
