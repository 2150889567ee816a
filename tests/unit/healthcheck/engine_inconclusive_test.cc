// Probe failures our own side may have caused
// (tests/netns/test_conntrack_full.sh: a full conntrack table dropped every
// probe's SYN and all reals went down) are held as inconclusive while the
// director says it cannot probe: counted and shown, never a verdict.
#include <gtest/gtest.h>

#include "healthcheck/engine.h"
#include "tests/unit/healthcheck/engine_harness.h"

namespace ha::healthcheck {
namespace {

using namespace harness;

constexpr const char *kTcp11 = "TCP_CHECK 198.51.100.11:80";
constexpr const char *kTrouble = "conntrack table full: 262144 of 262144 entries";

HealthConfig oneReal(CheckTiming t = timing(1000ms, 100ms, 1, 1)) {
  HealthConfig config;
  config.virtualServers.push_back(
      server("192.0.2.1", {real("192.0.2.1", "198.51.100.11", {tcp("198.51.100.11", t)})}));
  return config;
}

const CheckerStatus &checkerOf(const HealthSnapshot &s) { return s.reals.at(0).checkers.at(0); }

// Connect timeouts while the director reports trouble: no down verdict however
// many, each counted as inconclusive (not as a failure), shown with the reason,
// probes keep running.
TEST(EngineInconclusive, TimeoutsUnderLocalTroubleTakeNoRealDown) {
  EngineHarness h;
  h.apply(oneReal());
  h.localTrouble = [] { return std::optional<std::string>(kTrouble); };
  h.checks.setStanding(kTcp11, failure("connect to 198.51.100.11:80: no answer within 1000 ms",
                                       FailureReason::kConnectTimeout));
  h.runFor(10s);
  EXPECT_TRUE(h.takeEvents().empty());
  const HealthSnapshot s = h.snapshot();
  EXPECT_TRUE(s.reals.at(0).up);
  const CheckerStatus &c = checkerOf(s);
  EXPECT_TRUE(c.up);
  EXPECT_EQ(c.failures, 0u);
  EXPECT_GE(c.inconclusive, 9u);  // one a delay_loop
  EXPECT_EQ(c.inconclusive, c.probes);
  EXPECT_EQ(s.inconclusiveResults, c.inconclusive);
  EXPECT_EQ(c.lastOk, false);
  EXPECT_EQ(c.lastDetail, std::string("inconclusive (") + kTrouble +
                              "): connect to 198.51.100.11:80: no answer within 1000 ms");
  EXPECT_LE(h.checks.probeCount(kTcp11),
            11u);  // delay_loop pace: no retry storm
}

// The trouble passes: the same timeouts count again and take the real down
// after retry + 1.
TEST(EngineInconclusive, TimeoutsCountAgainOnceTroublePasses) {
  EngineHarness h;
  h.apply(oneReal());
  bool trouble = true;
  h.localTrouble = [&trouble] {
    return trouble ? std::optional<std::string>(kTrouble) : std::nullopt;
  };
  h.checks.setStanding(kTcp11, failure("no answer", FailureReason::kConnectTimeout));
  h.runFor(5s);
  EXPECT_TRUE(h.takeEvents().empty());
  trouble = false;
  h.runFor(3s);  // the next probe within delay_loop, then one retry after 100 ms
  auto events = h.takeEvents();
  ASSERT_EQ(events.size(),
            2u);  // the real's verdict, then the virtual server's quorum
  EXPECT_FALSE(std::get<RealVerdict>(events[0]).up);
  EXPECT_GE(checkerOf(h.snapshot()).failures, 2u);
}

// A refusal is the real's own answer: it counts even under trouble (only
// failures with nothing back from the real can be ours).
TEST(EngineInconclusive, RefusalsCountUnderTrouble) {
  EngineHarness h;
  h.apply(oneReal());
  h.localTrouble = [] { return std::optional<std::string>(kTrouble); };
  h.checks.setStanding(kTcp11, failure("connection refused", FailureReason::kConnectRefused));
  h.runFor(3s);
  auto events = h.takeEvents();
  ASSERT_FALSE(events.empty());
  EXPECT_FALSE(std::get<RealVerdict>(events[0]).up);
  EXPECT_EQ(checkerOf(h.snapshot()).inconclusive, 0u);
}

// An inconclusive result in the middle of a retry sequence neither advances nor
// resets it: a real failure at t1, the retry at t1 + 100 ms held, the next try
// a delay_loop later counts as the second failure in a row: down at t1 + 1.1 s
// (counted, it would be t1 + 100 ms; reset, t1 + 1.2 s).
TEST(EngineInconclusive, InconclusiveNeitherAdvancesNorResetsRetries) {
  EngineHarness h;
  h.apply(oneReal(timing(1000ms, 100ms, 1, 1)));
  int calls = 0;
  h.localTrouble = [&calls] {
    return ++calls == 2 ? std::optional<std::string>(kTrouble) : std::nullopt;
  };
  h.checks.setStanding(kTcp11, failure("no answer", FailureReason::kConnectTimeout));
  for (int i = 0; i < 100 && h.startsOf(kTcp11).empty(); ++i) h.runFor(10ms);
  ASSERT_EQ(h.startsOf(kTcp11).size(), 1u);
  const TimePoint t1 = h.startsOf(kTcp11)[0];
  h.runUntil(t1 + 1050ms);
  EXPECT_TRUE(h.takeEvents().empty());
  EXPECT_EQ(checkerOf(h.snapshot()).inconclusive, 1u);
  h.runUntil(t1 + 1150ms);
  auto events = h.takeEvents();
  ASSERT_FALSE(events.empty());
  EXPECT_FALSE(std::get<RealVerdict>(events[0]).up);
  EXPECT_EQ(checkerOf(h.snapshot()).failures, 2u);
  EXPECT_EQ(h.startsOf(kTcp11).size(), 3u);
}

// A pass under trouble is a pass: a down real rises as usual.
TEST(EngineInconclusive, PassesCountUnderTrouble) {
  EngineHarness h;
  h.apply(oneReal());
  h.checks.setStanding(kTcp11, failure("refused"));
  h.runFor(3s);
  ASSERT_FALSE(h.takeEvents().empty());
  h.localTrouble = [] { return std::optional<std::string>(kTrouble); };
  h.checks.setStanding(kTcp11, ProbeResult::pass());
  h.runFor(2s);
  auto events = h.takeEvents();
  ASSERT_FALSE(events.empty());
  EXPECT_TRUE(std::get<RealVerdict>(events[0]).up);
}

}  // namespace
}  // namespace ha::healthcheck
