#include "healthcheck/engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "tests/unit/healthcheck/engine_harness.h"

namespace ha::healthcheck {
namespace {

using namespace harness;  // EngineHarness and the config builders
using ::testing::SizeIs;

constexpr const char* kTcp11 = "TCP_CHECK 198.51.100.11:80";

std::vector<RealVerdict> realVerdicts(const std::vector<HealthEvent>& events) {
  std::vector<RealVerdict> out;
  for (const auto& e : events) {
    if (const auto* v = std::get_if<RealVerdict>(&e)) out.push_back(*v);
  }
  return out;
}

std::vector<QuorumVerdict> quorumVerdicts(const std::vector<HealthEvent>& events) {
  std::vector<QuorumVerdict> out;
  for (const auto& e : events) {
    if (const auto* v = std::get_if<QuorumVerdict>(&e)) out.push_back(*v);
  }
  return out;
}

// apply() answers with every real then every virtual server, in config order: reals start up
// (a real without checkers is always up), alpha reals start down with a reason.
TEST(Engine, ApplyReturnsEveryVerdict) {
  EngineHarness h;
  HealthConfig config;
  config.virtualServers.push_back(server("192.0.2.1", {real("192.0.2.1", "198.51.100.11", {tcp("198.51.100.11")}),
                                                       real("192.0.2.1", "198.51.100.12", {})}));
  auto alpha = server("192.0.2.2", {real("192.0.2.2", "198.51.100.13", {tcp("198.51.100.13")})});
  alpha.alpha = true;
  config.virtualServers.push_back(alpha);

  const ApplyOutcome out = h.apply(config);
  ASSERT_THAT(out.verdicts, SizeIs(5));
  EXPECT_EQ(std::get<RealVerdict>(out.verdicts[0]), (RealVerdict{realKey("192.0.2.1", "198.51.100.11"), true, {}, ""}));
  EXPECT_EQ(std::get<RealVerdict>(out.verdicts[1]), (RealVerdict{realKey("192.0.2.1", "198.51.100.12"), true, {}, ""}));
  EXPECT_EQ(std::get<RealVerdict>(out.verdicts[2]),
            (RealVerdict{realKey("192.0.2.2", "198.51.100.13"), false, {},
                         "TCP_CHECK 198.51.100.13:80: not proven up yet"}));
  EXPECT_EQ(std::get<QuorumVerdict>(out.verdicts[3]), (QuorumVerdict{ServiceKey{6, ip("192.0.2.1"), 80}, true}));
  EXPECT_EQ(std::get<QuorumVerdict>(out.verdicts[4]), (QuorumVerdict{ServiceKey{6, ip("192.0.2.2"), 80}, false}));
  EXPECT_TRUE(out.scripts.empty());  // nothing runs at start-up

  // The alpha real comes up on its first pass, with an event.
  h.runFor(1s);
  EXPECT_EQ(realVerdicts(h.takeEvents()),
            (std::vector<RealVerdict>{{realKey("192.0.2.2", "198.51.100.13"), true, {}, ""}}));
}

// N probes of one period configured together first start at N distinct instants inside
// [0, delay_loop); with warmup, inside [0, warmup].
TEST(Engine, FirstProbesSpreadOverOnePeriod) {
  for (const Millis warmup : {Millis(0), Millis(300)}) {
    EngineHarness h(kDefaultLoopJitterPermille, 99);
    HealthConfig config;
    std::vector<RealHealthConfig> reals;
    CheckTiming t = timing(1000ms);
    t.warmup = warmup;
    for (int i = 1; i <= 200; ++i) {
      const std::string address = "198.51.100." + std::to_string(i);
      reals.push_back(real("192.0.2.1", address.c_str(), {tcp(address.c_str(), t)}));
    }
    config.virtualServers.push_back(server("192.0.2.1", reals));
    const TimePoint start = h.clock.now();
    const TimePoint last = start + (warmup > Millis(0) ? Duration(warmup) : Duration(1s) - 1ns);
    h.apply(config);
    h.runUntil(last);
    std::map<std::string, TimePoint> first;  // early probes may have run twice by now
    for (const auto& [target, at] : h.started) first.emplace(target, at);
    std::set<TimePoint> instants;
    for (const auto& [target, at] : first) {
      EXPECT_GE(at, start);
      EXPECT_LE(at, last);
      instants.insert(at);
    }
    EXPECT_EQ(first.size(), 200U) << "warmup " << warmup.count();
    EXPECT_EQ(instants.size(), 200U) << "two probes started at the same instant";
  }
}

// Later probes wait delay_loop ± 5%: two probes that happened to start together drift apart
// instead of firing in step for ever. Without jitter the period is exact.
TEST(Engine, LoopJitterMakesProbesDrift) {
  for (const uint32_t permille : {0U, 50U}) {
    EngineHarness h(permille);
    HealthConfig config;
    config.virtualServers.push_back(server("192.0.2.1", {real("192.0.2.1", "198.51.100.11", {tcp("198.51.100.11")})}));
    h.apply(config);
    h.runFor(30s);
    const auto starts = h.startsOf(kTcp11);
    ASSERT_GE(starts.size(), 28U);
    std::set<Duration> intervals;
    for (size_t i = 1; i < starts.size(); ++i) {
      const Duration gap = starts[i] - starts[i - 1];
      EXPECT_GE(gap, 950ms);
      EXPECT_LE(gap, 1050ms);
      intervals.insert(gap);
    }
    if (permille == 0) {
      EXPECT_EQ(intervals, std::set<Duration>{Duration(1s)});
    } else {
      EXPECT_GT(intervals.size(), 20U);
    }
  }
}

// A probe is never started while its previous run is in flight, however late the answer.
TEST(Engine, NoOverlappingRunsOfOneProbe) {
  EngineHarness h;
  HealthConfig config;
  config.virtualServers.push_back(server("192.0.2.1", {real("192.0.2.1", "198.51.100.11", {tcp("198.51.100.11")})}));
  h.checks.hold(kTcp11);
  h.apply(config);
  h.runFor(3s);  // well within the watchdog (2 * connect_timeout + 5 s)
  EXPECT_EQ(h.checks.probeCount(kTcp11), 1U);
  EXPECT_EQ(h.snapshot().probesInFlight, 1U);
  EXPECT_EQ(h.checks.release(kTcp11), 1U);
  h.deliverAnswers();
  EXPECT_EQ(h.snapshot().probesInFlight, 0U);
  h.runFor(1s);
  EXPECT_EQ(h.checks.probeCount(kTcp11), 2U);  // the next run, a period after the answer
}

// A checker that never answers cannot keep a real up: after 2 * connect_timeout + 5 s the run
// counts as a failure, and the answer that finally comes is ignored as stale.
TEST(Engine, OverdueRunFailsAndLateAnswerIsIgnored) {
  EngineHarness h;
  HealthConfig config;
  config.virtualServers.push_back(server("192.0.2.1", {real("192.0.2.1", "198.51.100.11", {tcp("198.51.100.11", timing(1000ms, 100ms, 0))})}));
  h.checks.hold(kTcp11);
  h.apply(config);
  h.runFor(1s + 7s + 1s);  // first run overdue at 7 s; the second started, still held
  const auto verdicts = realVerdicts(h.takeEvents());
  ASSERT_THAT(verdicts, SizeIs(1));
  EXPECT_FALSE(verdicts[0].up);
  EXPECT_EQ(verdicts[0].reason.rfind("TCP_CHECK 198.51.100.11:80: no result from the checker in ", 0), 0U)
      << verdicts[0].reason;
  EXPECT_EQ(h.snapshot().overdueProbes, 1U);
  EXPECT_EQ(h.checks.release(kTcp11), 2U);  // the first run's answer and the second run's
  h.deliverAnswers();
  const HealthSnapshot snap = h.snapshot();
  EXPECT_EQ(snap.staleResults, 1U);
  EXPECT_TRUE(snap.reals[0].up);  // the second run's pass counts
}

// Identical probes of two virtual servers run once; one result flips both reals in one step.
TEST(Engine, IdenticalProbesAreShared) {
  EngineHarness h;
  HealthConfig config;
  config.virtualServers.push_back(server("192.0.2.1", {real("192.0.2.1", "198.51.100.11", {tcp("198.51.100.11")})}));
  config.virtualServers.push_back(server("192.0.2.2", {real("192.0.2.2", "198.51.100.11", {tcp("198.51.100.11")})}));
  h.apply(config);
  EXPECT_EQ(h.snapshot().distinctProbes, 1U);
  EXPECT_TRUE(h.snapshot().reals[0].checkers[0].shared);

  h.checks.setStanding(kTcp11, failure("connection refused"));
  h.runFor(5s);
  ASSERT_THAT(h.steps, SizeIs(1));
  const auto verdicts = realVerdicts(h.steps[0]);
  ASSERT_THAT(verdicts, SizeIs(2));
  EXPECT_EQ(verdicts[0].key, realKey("192.0.2.1", "198.51.100.11"));
  EXPECT_EQ(verdicts[1].key, realKey("192.0.2.2", "198.51.100.11"));
  EXPECT_FALSE(verdicts[0].up);
  EXPECT_FALSE(verdicts[1].up);
  // 5 s at delay_loop 1 s with retries: one probe's worth of runs, not two.
  EXPECT_LE(h.checks.probeCount(kTcp11), 7U);
}

// The same target checked with different timing is two probes.
TEST(Engine, DifferentTimingIsNotShared) {
  EngineHarness h;
  HealthConfig config;
  config.virtualServers.push_back(server("192.0.2.1", {real("192.0.2.1", "198.51.100.11", {tcp("198.51.100.11", timing(1000ms))})}));
  config.virtualServers.push_back(server("192.0.2.2", {real("192.0.2.2", "198.51.100.11", {tcp("198.51.100.11", timing(2000ms))})}));
  h.apply(config);
  const HealthSnapshot snap = h.snapshot();
  EXPECT_EQ(snap.distinctProbes, 2U);
  EXPECT_FALSE(snap.reals[0].checkers[0].shared);
}

// With several checkers a real is up only when all pass; the reason names the failing one.
TEST(Engine, EveryCheckerMustPass) {
  EngineHarness h;
  HealthConfig config;
  config.virtualServers.push_back(server("192.0.2.1", {real("192.0.2.1", "198.51.100.11",
      {tcp("198.51.100.11"), check(CheckKind::kHttp, "198.51.100.11", 80)})}));
  h.apply(config);
  h.checks.setStanding("HTTP_GET 198.51.100.11:80",
                       failure("HTTP 503 for /health (expected 200-299)", FailureReason::kStatusMismatch));
  h.runFor(3s);
  auto verdicts = realVerdicts(h.takeEvents());
  ASSERT_THAT(verdicts, SizeIs(1));
  EXPECT_EQ(verdicts[0].reason, "HTTP_GET 198.51.100.11:80: HTTP 503 for /health (expected 200-299)");
  EXPECT_TRUE(h.snapshot().reals[0].checkers[0].up);  // TCP still passes
  EXPECT_EQ(h.snapshot().reals[0].checkers[1].target, "198.51.100.11:80 /");

  h.checks.setStanding("HTTP_GET 198.51.100.11:80", ProbeResult::pass());
  h.runFor(2s);
  verdicts = realVerdicts(h.takeEvents());
  ASSERT_THAT(verdicts, SizeIs(1));
  EXPECT_TRUE(verdicts[0].up);
  EXPECT_EQ(verdicts[0].reason, "");
}

// quorumAfter: up holds down to quorum - hysteresis, down needs quorum + hysteresis; an empty
// server is never up; quorum 0 is 1; quorum - hysteresis saturates at 0 without wrapping.
TEST(Quorum, HysteresisBoundaries) {
  EXPECT_TRUE(quorumAfter(true, 2, 3, 1));
  EXPECT_FALSE(quorumAfter(true, 1, 3, 1));
  EXPECT_FALSE(quorumAfter(false, 3, 3, 1));
  EXPECT_TRUE(quorumAfter(false, 4, 3, 1));
  EXPECT_TRUE(quorumAfter(true, 3, 3, 0));
  EXPECT_FALSE(quorumAfter(true, 2, 3, 0));
  EXPECT_TRUE(quorumAfter(false, 3, 3, 0));
  EXPECT_FALSE(quorumAfter(true, 0, 0, 0));
  EXPECT_TRUE(quorumAfter(false, 1, 0, 0));
  EXPECT_TRUE(quorumAfter(true, 1, 2, 5));   // 2 - 5 saturates: only 0 takes it down
  EXPECT_FALSE(quorumAfter(true, 0, 2, 5));
  EXPECT_FALSE(quorumAfter(false, 6, 2, 5));
  EXPECT_TRUE(quorumAfter(false, 7, 2, 5));
  EXPECT_TRUE(quorumAfter(false, UINT64_MAX, UINT32_MAX, UINT32_MAX));
}

// Five reals of weight 1, quorum 3, hysteresis 1: quorum is lost at live weight 1 (not 2) and
// regained at 4 (not 3), each change one QuorumVerdict and one script.
TEST(Engine, QuorumWithHysteresisEndToEnd) {
  EngineHarness h;
  std::vector<RealHealthConfig> reals;
  std::vector<std::string> targets;
  for (int i = 1; i <= 5; ++i) {
    const std::string address = "198.51.100." + std::to_string(10 + i);
    reals.push_back(real("192.0.2.1", address.c_str(), {tcp(address.c_str(), timing(1000ms, 100ms, 0))}));
    targets.push_back("TCP_CHECK " + address + ":80");
  }
  auto vs = server("192.0.2.1", reals);
  vs.quorum = 3;
  vs.hysteresis = 1;
  vs.quorumUp = "/bin/quorum-up";
  vs.quorumDown = "/bin/quorum-down";
  HealthConfig config;
  config.virtualServers.push_back(vs);
  h.apply(config);

  auto liveAndQuorum = [&] {
    const auto snap = h.snapshot();
    return std::pair{snap.services[0].liveWeight, snap.services[0].quorumUp};
  };
  std::vector<std::pair<uint32_t, bool>> seen;
  for (size_t down = 0; down < 5; ++down) {
    h.checks.setStanding(targets[down], failure("refused"));
    h.runFor(1s);
    seen.push_back(liveAndQuorum());
  }
  for (size_t up = 5; up-- > 0;) {
    h.checks.setStanding(targets[up], ProbeResult::pass());
    h.runFor(1s);
    seen.push_back(liveAndQuorum());
  }
  EXPECT_EQ(seen, (std::vector<std::pair<uint32_t, bool>>{{4, true}, {3, true}, {2, true}, {1, false}, {0, false},
                                                         {1, false}, {2, false}, {3, false}, {4, true}, {5, true}}));
  EXPECT_EQ(quorumVerdicts(h.takeEvents()),
            (std::vector<QuorumVerdict>{{vs.key, false}, {vs.key, true}}));
  std::vector<std::string> quorumScripts;
  for (const auto& s : h.scripts) {
    if (s.owner == vs.key.str()) quorumScripts.push_back(s.keyword + " " + s.command);
  }
  EXPECT_EQ(quorumScripts, (std::vector<std::string>{"quorum_down /bin/quorum-down", "quorum_up /bin/quorum-up"}));
}

// misc_dynamic: a pass carrying a weight sets the real's dynamic weight (and the quorum's live
// weight); an unchanged weight is no event; a plain pass returns to the configured weight.
TEST(Engine, MiscDynamicWeight) {
  EngineHarness h;
  CheckerConfig misc = check(CheckKind::kMisc, "198.51.100.11", 80);
  misc.probe.miscPath = "/bin/check-weight";
  misc.probe.miscDynamic = true;
  HealthConfig config;
  config.virtualServers.push_back(server("192.0.2.1", {real("192.0.2.1", "198.51.100.11", {misc}, 3)}));
  h.apply(config);
  const std::string target = "MISC_CHECK /bin/check-weight";
  ProbeResult weighted = ProbeResult::pass();
  weighted.dynamicWeight = 7;
  h.checks.queue(target, weighted);
  h.checks.queue(target, weighted);
  h.runFor(1s);
  EXPECT_EQ(realVerdicts(h.takeEvents()),
            (std::vector<RealVerdict>{{realKey("192.0.2.1", "198.51.100.11"), true, 7U, ""}}));
  EXPECT_EQ(h.snapshot().services[0].liveWeight, 7U);
  h.runFor(1s);  // same weight again: nothing to say
  EXPECT_TRUE(h.takeEvents().empty());
  h.runFor(1s);  // standing plain pass
  EXPECT_EQ(realVerdicts(h.takeEvents()),
            (std::vector<RealVerdict>{{realKey("192.0.2.1", "198.51.100.11"), true, std::nullopt, ""}}));
  EXPECT_EQ(h.snapshot().services[0].liveWeight, 3U);
}

// notify_down / notify_up run on each real transition, never at start-up.
TEST(Engine, NotifyScriptsOnTransitionsOnly) {
  EngineHarness h;
  auto r = real("192.0.2.1", "198.51.100.11", {tcp("198.51.100.11", timing(1000ms, 100ms, 0))});
  r.notifyUp = "/bin/up 'a b'";
  r.notifyDown = "/bin/down";
  HealthConfig config;
  config.virtualServers.push_back(server("192.0.2.1", {r}));
  h.apply(config);
  EXPECT_TRUE(h.scripts.empty());
  h.checks.queue(kTcp11, failure("refused"));
  h.runFor(2s);
  const std::string owner = r.key.str();
  EXPECT_EQ(h.scripts, (std::vector<ScriptRequest>{{owner, "notify_down", "/bin/down"},
                                                   {owner, "notify_up", "/bin/up 'a b'"}}));
}

// Counters of a probe: runs, failures by reason, latency (last/mean/max), last result and when;
// every run's latency also lands in its kind's histogram (10 ms, 20 ms and 30 ms: the 10 ms and
// 25 ms buckets hold one, the 50 ms bucket the third).
TEST(Engine, SnapshotCounters) {
  EngineHarness h;
  HealthConfig config;
  config.virtualServers.push_back(server("192.0.2.1", {real("192.0.2.1", "198.51.100.11", {tcp("198.51.100.11", timing(1000ms, 100ms, 5))})}));
  h.apply(config);
  h.checks.queue(kTcp11, ProbeResult::pass(10ms));
  h.checks.queue(kTcp11, ProbeResult::fail(FailureReason::kConnectTimeout, "no answer in 1 s", 30ms));
  h.checks.queue(kTcp11, ProbeResult::fail(FailureReason::kConnectRefused, "refused", 20ms));
  while (h.checks.probeCount(kTcp11) < 3) h.runFor(10ms);
  const auto before = std::chrono::system_clock::now();
  const CheckerStatus c = h.snapshot().reals[0].checkers[0];
  EXPECT_EQ(c.kind, "TCP_CHECK");
  EXPECT_EQ(c.target, "198.51.100.11:80");
  EXPECT_TRUE(c.up);  // two failures of six allowed
  EXPECT_EQ(c.probes, 3U);
  EXPECT_EQ(c.failures, 2U);
  EXPECT_EQ(c.failuresByReason, (std::map<std::string, uint64_t>{{"connect-timeout", 1}, {"connect-refused", 1}}));
  EXPECT_EQ(c.lastLatency, 20ms);
  EXPECT_EQ(c.meanLatency, 20ms);
  EXPECT_EQ(c.maxLatency, 30ms);
  EXPECT_EQ(c.lastOk, false);
  EXPECT_EQ(c.lastDetail, "refused");
  ASSERT_TRUE(c.lastAt.has_value());
  EXPECT_LE(*c.lastAt, before);
  EXPECT_GE(*c.lastAt, before - std::chrono::seconds(2));
  EXPECT_EQ(h.snapshot().probesRun, 3U);
  const auto histograms = h.snapshot().latencyByKind;
  ASSERT_EQ(histograms.size(), 1U);
  const LatencyHistogram& tcpLatency = histograms.at("TCP_CHECK");
  EXPECT_EQ(tcpLatency.count, 3U);
  EXPECT_NEAR(tcpLatency.sumSeconds, 0.060, 1e-9);
  EXPECT_EQ(tcpLatency.counts[6], 1U);  // <= 10 ms
  EXPECT_EQ(tcpLatency.counts[7], 1U);  // <= 25 ms
  EXPECT_EQ(tcpLatency.counts[8], 1U);  // <= 50 ms
}

// Answers for tickets the engine never issued are counted and change nothing.
TEST(Engine, UnknownTicketIsIgnored) {
  EngineHarness h;
  HealthConfig config;
  config.virtualServers.push_back(server("192.0.2.1", {real("192.0.2.1", "198.51.100.11", {tcp("198.51.100.11", timing(1000ms, 100ms, 0))})}));
  h.apply(config);
  for (ProbeTicket t : {ProbeTicket{0}, ProbeTicket{1}, ProbeTicket{UINT64_MAX}, (ProbeTicket{7} << 32) | 1}) {
    EXPECT_TRUE(h.engine.onResult(t, failure("bogus"), h.clock.now()).events.empty());
  }
  const HealthSnapshot snap = h.snapshot();
  EXPECT_EQ(snap.staleResults, 4U);
  EXPECT_TRUE(snap.reals[0].up);
  EXPECT_EQ(snap.reals[0].checkers[0].probes, 0U);
}

}  // namespace
}  // namespace ha::healthcheck
