// Engine::apply() as a reload (keepalived's checker migrate): what is kept, what starts afresh,
// and what happens to answers of runs that a reload made stale.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "healthcheck/engine.h"
#include "tests/unit/healthcheck/engine_harness.h"

namespace ha::healthcheck {
namespace {

using namespace harness;  // EngineHarness and the config builders
using ::testing::SizeIs;

constexpr const char* kTcp11 = "TCP_CHECK 198.51.100.11:80";

HealthConfig oneServer(std::vector<RealHealthConfig> reals) {
  HealthConfig config;
  config.virtualServers.push_back(server("192.0.2.1", std::move(reals)));
  return config;
}

RealHealthConfig real11(uint32_t weight = 1) {
  return real("192.0.2.1", "198.51.100.11", {tcp("198.51.100.11", timing(1000ms, 100ms, 0))}, weight);
}
RealHealthConfig real12() {
  return real("192.0.2.1", "198.51.100.12", {tcp("198.51.100.12", timing(1000ms, 100ms, 0))});
}

// An unchanged probe keeps its state, counters and schedule across a reload: a down real stays
// down without a new event or script, its next run keeps its time, and a new real starts up.
TEST(EngineReload, KeepsStateCountersAndSchedule) {
  EngineHarness h;
  auto r11 = real11();
  r11.notifyDown = "/bin/down";
  r11.notifyUp = "/bin/up";
  h.apply(oneServer({r11}));
  h.checks.setStanding(kTcp11, failure("refused"));
  h.runFor(2500ms);
  ASSERT_THAT(h.takeEvents(), SizeIs(2));  // real down, quorum lost
  h.scripts.clear();
  const auto before = h.snapshot();
  const TimePoint lastRun = h.startsOf(kTcp11).back();

  auto changed = r11;
  changed.weight = 5;  // a weight change keeps the probe
  const ApplyOutcome out = h.apply(oneServer({changed, real12()}));
  EXPECT_TRUE(out.scripts.empty());
  EXPECT_EQ(std::get<RealVerdict>(out.verdicts[0]),
            (RealVerdict{r11.key, false, {}, "TCP_CHECK 198.51.100.11:80: refused"}));
  EXPECT_TRUE(std::get<RealVerdict>(out.verdicts[1]).up);
  const auto after = h.snapshot();
  EXPECT_EQ(after.reals[0].checkers[0].probes, before.reals[0].checkers[0].probes);
  EXPECT_EQ(after.reals[0].checkers[0].failures, before.reals[0].checkers[0].failures);
  EXPECT_EQ(after.reals[0].transitions, 1U);
  EXPECT_EQ(after.distinctProbes, 2U);

  h.checks.setStanding(kTcp11, ProbeResult::pass());
  h.runFor(1s);
  const auto runs = h.startsOf(kTcp11);
  EXPECT_EQ(runs.back() - lastRun, 1s);  // the old schedule, not a fresh random start
  EXPECT_EQ(h.snapshot().services[0].liveWeight, 5U + 1U);
}

// A run in flight when its probe is removed is ignored when it lands; the probe configured in
// its place is unaffected.
TEST(EngineReload, StaleInFlightAnswerIsIgnored) {
  EngineHarness h;
  h.apply(oneServer({real11()}));
  h.checks.hold(kTcp11);
  h.runFor(1s);
  ASSERT_EQ(h.checks.pending(kTcp11), 1U);

  h.apply(oneServer({real12()}));  // 11's probe goes, 12's takes a slot
  EXPECT_EQ(h.snapshot().distinctProbes, 1U);
  h.checks.queue(kTcp11, failure("late and wrong"));
  EXPECT_EQ(h.checks.release(kTcp11), 1U);
  h.deliverAnswers();
  EXPECT_TRUE(h.takeEvents().empty());
  const auto snap = h.snapshot();
  EXPECT_EQ(snap.staleResults, 1U);
  EXPECT_EQ(snap.probesInFlight, 0U);
  EXPECT_TRUE(snap.reals[0].up);
  EXPECT_EQ(snap.reals[0].checkers[0].failures, 0U);
}

// A real whose checkers change is judged by its new probes at once: down on TCP :80, moved to a
// fresh probe on :81 it is up, with notify_up, in apply()'s scripts.
TEST(EngineReload, ChangedCheckersRecomputeTheVerdict) {
  EngineHarness h;
  auto r = real11();
  r.notifyUp = "/bin/up";
  h.apply(oneServer({r}));
  h.checks.setStanding(kTcp11, failure("refused"));
  h.runFor(1s);
  ASSERT_FALSE(h.snapshot().reals[0].up);

  r.checkers[0].probe.port = 81;
  const ApplyOutcome out = h.apply(oneServer({r}));
  EXPECT_EQ(std::get<RealVerdict>(out.verdicts[0]), (RealVerdict{r.key, true, {}, ""}));
  EXPECT_EQ(out.scripts, (std::vector<ScriptRequest>{{r.key.str(), "notify_up", "/bin/up"}}));
  EXPECT_EQ(h.snapshot().reals[0].transitions, 2U);
  EXPECT_EQ(h.snapshot().reals[0].checkers[0].probes, 0U);  // a new probe, new counters
}

// A new probe shared by an alpha and a non-alpha virtual server starts down for both (one
// proof serves all); a probe that already passed stays up for an alpha server joining it.
TEST(EngineReload, AlphaAndSharedProbes) {
  EngineHarness h;
  HealthConfig config = oneServer({real11()});
  auto alpha = server("192.0.2.2", {real("192.0.2.2", "198.51.100.11", {tcp("198.51.100.11", timing(1000ms, 100ms, 0))})});
  alpha.alpha = true;
  config.virtualServers.push_back(alpha);
  ApplyOutcome out = h.apply(config);
  EXPECT_FALSE(std::get<RealVerdict>(out.verdicts[0]).up);
  EXPECT_FALSE(std::get<RealVerdict>(out.verdicts[1]).up);
  h.runFor(1s);
  EXPECT_THAT(h.takeEvents(), SizeIs(4));  // both reals up, both quorums up

  auto alpha3 = server("192.0.2.3", {real("192.0.2.3", "198.51.100.11", {tcp("198.51.100.11", timing(1000ms, 100ms, 0))})});
  alpha3.alpha = true;
  config.virtualServers.push_back(alpha3);
  out = h.apply(config);
  EXPECT_TRUE(std::get<RealVerdict>(out.verdicts[2]).up);
  EXPECT_TRUE(std::get<QuorumVerdict>(out.verdicts[5]).up);
}

// A removed probe whose checker never answers is forgotten at its watchdog: memory stays
// bounded, and the answer that finally comes is still ignored.
TEST(EngineReload, RemovedProbeWithoutAnswerIsFreedAtItsWatchdog) {
  EngineHarness h;
  h.apply(oneServer({real11()}));
  h.checks.hold(kTcp11);
  h.runFor(1s);
  h.apply(oneServer({real12()}));
  EXPECT_EQ(h.snapshot().probesInFlight, 1U);
  h.runFor(8s);  // 2 * connect_timeout + 5 s after the start
  EXPECT_EQ(h.snapshot().probesInFlight, 0U);
  EXPECT_EQ(h.snapshot().overdueProbes, 1U);
  EXPECT_EQ(h.checks.release(kTcp11), 1U);
  h.deliverAnswers();
  EXPECT_EQ(h.snapshot().staleResults, 1U);
  EXPECT_TRUE(h.takeEvents().empty());
}

// A reload that raises the quorum above the live weight loses quorum at once, with its script.
TEST(EngineReload, QuorumChangeTakesEffect) {
  EngineHarness h;
  HealthConfig config = oneServer({real11(), real12()});
  config.virtualServers[0].quorumDown = "/bin/qdown";
  h.apply(config);
  config.virtualServers[0].quorum = 3;
  const ApplyOutcome out = h.apply(config);
  EXPECT_EQ(std::get<QuorumVerdict>(out.verdicts[2]), (QuorumVerdict{config.virtualServers[0].key, false}));
  EXPECT_EQ(out.scripts, (std::vector<ScriptRequest>{{config.virtualServers[0].key.str(), "quorum_down", "/bin/qdown"}}));
}

// Removing everything stops every probe: no deadline is left, nothing runs.
TEST(EngineReload, EmptyConfigStopsEverything) {
  EngineHarness h;
  h.apply(oneServer({real11(), real12()}));
  h.runFor(2s);
  const ApplyOutcome out = h.apply(HealthConfig{});
  EXPECT_TRUE(out.verdicts.empty());
  EXPECT_EQ(h.engine.nextDeadline(), std::nullopt);
  const size_t runs = h.started.size();
  h.runFor(10s);
  EXPECT_EQ(h.started.size(), runs);
  EXPECT_EQ(h.snapshot().distinctProbes, 0U);
}

// A real or virtual server listed twice is used once (the first), not double-counted.
TEST(EngineReload, DuplicateKeysUseTheFirst) {
  EngineHarness h;
  HealthConfig config = oneServer({real11(3), real11(7)});
  config.virtualServers.push_back(server("192.0.2.1", {real12()}));
  const ApplyOutcome out = h.apply(config);
  EXPECT_THAT(out.verdicts, SizeIs(2));
  EXPECT_EQ(h.snapshot().services[0].liveWeight, 3U);
}

}  // namespace
}  // namespace ha::healthcheck
