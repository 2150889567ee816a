// When this namespace's conntrack table is under pressure (nearly full, or
// dropping for want of an entry) — and so when a probe without an answer proves
// nothing — and what the watch around it reads, logs and reports.
#include "director/node/conntrack_pressure.h"

#include <gtest/gtest.h>

#include "director/node/conntrack_watch.h"
#include "tests/fakes/manual_clock.h"

namespace ha::director {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
constexpr TimePoint kT0 = test::ManualClock::kStart;

ConntrackStats stats(uint64_t entries, uint64_t drop = 0, uint64_t max = 1000) {
  ConntrackStats s;
  s.entries = entries;
  s.max = max;
  s.drop = drop;
  return s;
}

// Nothing is known before the first sample; a table below 99% that drops
// nothing is fine.
TEST(ConntrackPressure, QuietTableIsNoPressure) {
  ConntrackPressure p;
  EXPECT_FALSE(p.reason(kT0));
  p.record(stats(989), kT0);
  EXPECT_FALSE(p.reason(kT0));
  EXPECT_EQ(p.episodes(), 0u);
}

// From 99% of the max on, the table is full, whatever the drop counter says.
TEST(ConntrackPressure, NearlyFullIsPressure) {
  ConntrackPressure p;
  p.record(stats(990), kT0);
  EXPECT_EQ(p.reason(kT0), "conntrack table full: 990 of 1000 entries");
  EXPECT_EQ(p.episodes(), 1u);
}

// A drop counter that rose between two samples keeps the pressure for
// dropMemory (10 s) after the sample that saw it, even once the table has room
// again; a new baseline is not a drop.
TEST(ConntrackPressure, DropsKeepPressureForTheirMemory) {
  ConntrackPressure p;
  p.record(stats(10, 50), kT0);  // drops before directord started: the baseline
  EXPECT_FALSE(p.reason(kT0));
  p.record(stats(10, 744), kT0 + seconds(1));
  ASSERT_TRUE(p.reason(kT0 + seconds(1)));
  EXPECT_EQ(*p.reason(kT0 + seconds(4)),
            "conntrack dropped packets for want of an entry 3.0 s ago (10 of "
            "1000 entries now)");
  p.record(stats(10, 744),
           kT0 + seconds(2));  // no new drop: the memory runs from the rise
  EXPECT_TRUE(p.reason(kT0 + seconds(11) - milliseconds(1)));
  EXPECT_FALSE(p.reason(kT0 + seconds(11)));
  EXPECT_EQ(p.sinceStart()->drop, 694u);
  EXPECT_EQ(p.episodes(), 1u);
}

// A counter that went down (conntrack restarted in the namespace) is not a
// drop.
TEST(ConntrackPressure, CounterGoingDownIsNoDrop) {
  ConntrackPressure p;
  p.record(stats(10, 700), kT0);
  p.record(stats(10, 3), kT0 + seconds(1));
  EXPECT_FALSE(p.reason(kT0 + seconds(1)));
  EXPECT_EQ(p.sinceStart()->drop, 3u);
}

// Each stretch of pressure is one episode, however many samples it lasts.
TEST(ConntrackPressure, CountsEpisodes) {
  ConntrackPressure p;
  p.record(stats(995), kT0);
  p.record(stats(999), kT0 + seconds(1));
  p.record(stats(100), kT0 + seconds(2));
  p.record(stats(990), kT0 + seconds(3));
  EXPECT_EQ(p.episodes(), 2u);
}

class ScriptedStats final : public ConntrackStatsPort {
 public:
  Result<ConntrackStats> stats() override {
    ++reads;
    if (!error.empty()) return Error{error};
    return next;
  }
  ConntrackStats next;
  std::string error;
  int reads = 0;
};

// The health thread's question reads the kernel only when the last sample is
// 100 ms old or more: a burst of failing probes costs one read. A read error
// means "no known trouble", shown as such.
TEST(ConntrackWatch, ProbeTroubleReadsAtMostEvery100ms) {
  auto port = std::make_unique<ScriptedStats>();
  ScriptedStats *scripted = port.get();
  ConntrackWatch watch(std::move(port));
  scripted->next = stats(1000, 0);
  EXPECT_EQ(watch.probeTrouble(kT0), "conntrack table full: 1000 of 1000 entries");
  EXPECT_TRUE(watch.probeTrouble(kT0 + milliseconds(99)));
  EXPECT_EQ(scripted->reads, 1);
  scripted->next = stats(10, 0);
  EXPECT_FALSE(watch.probeTrouble(kT0 + milliseconds(100)));
  EXPECT_EQ(scripted->reads, 2);
  scripted->error = "conntrack statistics: socket: Operation not permitted";
  watch.sample(kT0 + seconds(1));
  ConntrackStatus s = watch.status(kT0 + seconds(1));
  EXPECT_EQ(s.error, scripted->error);
  EXPECT_EQ(s.kernel->entries, 10u);  // the last good sample stays shown
  EXPECT_EQ(s.sampleAgeMs, 900u);
  EXPECT_EQ(s.pressureEpisodes, 1u);
  EXPECT_TRUE(s.pressure.empty());
}

}  // namespace
}  // namespace ha::director
