// `directorctl conntrack`'s text, from a reply with fixed ages.
#include "director/ctl/conntrack_format.h"

#include <gtest/gtest.h>

namespace ha::director {
namespace {

namespace pb = directord::admin;

// Usage with its share of the max, the pressure, counters in `conntrack -S`'s
// order (names this client does not know after them, sorted), and the episode
// line with directord's ages.
TEST(ConntrackFormat, ShowsUsagePressureAndCounters) {
  pb::ConntrackReply r;
  r.set_available(true);
  r.set_entries(262144);
  r.set_max(262144);
  r.set_pressure("conntrack table full: 262144 of 262144 entries");
  (*r.mutable_kernel())["drop"] = 694;
  (*r.mutable_kernel())["early_drop"] = 0;
  (*r.mutable_kernel())["invalid"] = 12;
  (*r.mutable_kernel())["zz_future"] = 1;
  (*r.mutable_since_start())["drop"] = 694;
  r.set_last_drop_age_ms(3200);
  r.set_pressure_episodes(1);
  r.set_inconclusive_results(42);
  r.set_sample_age_ms(400);
  EXPECT_EQ(formatConntrack(r),
            "conntrack: entries 262144, max 262144 (100.0%); pressure: "
            "conntrack table full: 262144 of 262144 entries\n"
            "  kernel:      invalid 12, drop 694, early_drop 0, zz_future 1\n"
            "  since start: drop 694\n"
            "  pressure episodes 1, last drop 3.2s ago, inconclusive 42 health "
            "results held, sampled 0.4s ago\n");
}

// No pressure and no drop yet; statistics that could not be read say why.
TEST(ConntrackFormat, QuietTableAndUnavailableStatistics) {
  pb::ConntrackReply r;
  r.set_available(true);
  r.set_entries(68);
  r.set_max(262144);
  EXPECT_EQ(formatConntrack(r),
            "conntrack: entries 68, max 262144 (0.0%); pressure: none\n"
            "  kernel:      -\n"
            "  since start: -\n"
            "  pressure episodes 0, last drop never, inconclusive 0 health "
            "results held\n");
  pb::ConntrackReply down;
  down.set_error("conntrack statistics: socket: Operation not permitted");
  EXPECT_EQ(formatConntrack(down),
            "conntrack: statistics unavailable: conntrack statistics: socket: "
            "Operation not permitted\n");
}

}  // namespace
}  // namespace ha::director
