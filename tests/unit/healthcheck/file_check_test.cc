// FILE_CHECK: keepalived's reading of a track file's text, what the number does to a real (down,
// weight), and the engine following file values: verdicts, weights, quorum, snapshot, reload.
#include "healthcheck/file_check.h"

#include <gtest/gtest.h>

#include <climits>
#include <variant>

#include "healthcheck/engine.h"
#include "tests/unit/healthcheck/engine_harness.h"

namespace ha::healthcheck {
namespace {

using harness::ip;
using harness::realKey;

// strtol(text, NULL, 0) as keepalived: blanks, signs, hex, octal, trailing text, no number = 0.
TEST(FileCheck, ParsesTheWayKeepalivedDoes) {
  EXPECT_EQ(parseTrackFileValue("5\n"), 5);
  EXPECT_EQ(parseTrackFileValue("  -12 apples"), -12);
  EXPECT_EQ(parseTrackFileValue("0x10"), 16);
  EXPECT_EQ(parseTrackFileValue("010"), 8);
  EXPECT_EQ(parseTrackFileValue(""), 0);
  EXPECT_EQ(parseTrackFileValue("up"), 0);
  EXPECT_EQ(parseTrackFileValue("2147483648"), 2147483648LL);  // INT32_MAX + 1 is allowed
  EXPECT_EQ(parseTrackFileValue("-2147483648"), INT32_MIN);
  EXPECT_EQ(parseTrackFileValue("2147483649"), std::nullopt);  // ignored: previous value stays
  EXPECT_EQ(parseTrackFileValue("-2147483649"), std::nullopt);
  EXPECT_EQ(parseTrackFileValue("99999999999999999999999"), std::nullopt);
  // Only the first 127 bytes are read: a number starting later is not seen.
  EXPECT_EQ(parseTrackFileValue(std::string(127, ' ') + "7"), 0);
}

// weight != 0: value x weight (reversed with reverse) joins the weight; at or below -2^31 is the
// fault. weight 0: non-zero is down (reverse: zero is down), weight untouched.
TEST(FileCheck, EffectOfAValue) {
  EXPECT_EQ(fileCheckEffect(3, 2, false).weightDelta, 6);
  EXPECT_FALSE(fileCheckEffect(3, 2, false).down);
  EXPECT_EQ(fileCheckEffect(3, 2, true).weightDelta, -6);
  EXPECT_FALSE(fileCheckEffect(0, 2, false).down);
  EXPECT_FALSE(fileCheckEffect(-100, 2, false).down);  // a negative sum drains, not fails
  EXPECT_TRUE(fileCheckEffect(INT32_MIN, 1, false).down);
  EXPECT_TRUE(fileCheckEffect(-2, 1073741824, false).down);
  EXPECT_TRUE(fileCheckEffect(2147483648LL, 1, true).down);
  EXPECT_EQ(fileCheckEffect(2147483648LL, 1, false).weightDelta, INT32_MAX);  // clamped
  EXPECT_TRUE(fileCheckEffect(1, 0, false).down);
  EXPECT_FALSE(fileCheckEffect(0, 0, false).down);
  EXPECT_TRUE(fileCheckEffect(0, 0, true).down);
  EXPECT_FALSE(fileCheckEffect(-4, 0, true).down);
  EXPECT_EQ(fileCheckEffect(5, 0, false).weightDelta, 0);
  EXPECT_EQ(weightWithFiles(10, -30), 0u);
  EXPECT_EQ(weightWithFiles(10, 5), 15u);
  EXPECT_EQ(weightWithFiles(10, INT32_MAX), 65535u);
}

FileCheckConfig fileCheck(const std::string& path, int64_t weight, bool reverse = false) {
  FileCheckConfig f;
  f.location = "test.conf:9";
  f.trackName = "T";
  f.path = path;
  f.weight = weight;
  f.reverse = reverse;
  return f;
}

HealthConfig config(std::vector<FileCheckConfig> files, uint32_t weight = 10, uint32_t quorum = 5) {
  RealHealthConfig real = harness::real("192.0.2.1", "10.0.0.1", {}, weight);
  real.fileChecks = std::move(files);
  VirtualServerHealthConfig server = harness::server("192.0.2.1", {real});
  server.quorum = quorum;
  HealthConfig out;
  out.virtualServers.push_back(server);
  return out;
}

const RealVerdict* realVerdict(const std::vector<HealthEvent>& events) {
  for (const auto& e : events) {
    if (const auto* v = std::get_if<RealVerdict>(&e)) return v;
  }
  return nullptr;
}

const QuorumVerdict* quorumVerdict(const std::vector<HealthEvent>& events) {
  for (const auto& e : events) {
    if (const auto* v = std::get_if<QuorumVerdict>(&e)) return v;
  }
  return nullptr;
}

// A value read before apply() decides the real's start state: no up-then-down flap.
TEST(FileCheckEngine, ValueReadBeforeApplyDecidesTheStart) {
  Engine engine;
  const TimePoint now{};
  EXPECT_TRUE(engine.onFileValue("/f", 1, now).events.empty());  // nobody watches it yet
  const ApplyOutcome applied = engine.apply(config({fileCheck("/f", 0)}), now);
  const RealVerdict* real = realVerdict(applied.verdicts);
  ASSERT_NE(real, nullptr);
  EXPECT_FALSE(real->up);
  EXPECT_NE(real->reason.find("FILE_CHECK track_file T (/f): value 1 with weight 0"),
            std::string::npos)
      << real->reason;
}

// Changes flip the real and move its weight and the quorum, each in one step.
TEST(FileCheckEngine, ValuesMoveVerdictWeightAndQuorum) {
  Engine engine;
  TimePoint now{};
  engine.apply(config({fileCheck("/f", 2)}, 10, 5), now);
  EngineStep step = engine.onFileValue("/f", 3, now);  // 10 + 6
  ASSERT_NE(realVerdict(step.events), nullptr);
  EXPECT_TRUE(realVerdict(step.events)->up);
  EXPECT_EQ(realVerdict(step.events)->dynamicWeight, 16u);
  EXPECT_TRUE(engine.onFileValue("/f", 3, now).events.empty());  // same value: nothing
  step = engine.onFileValue("/f", -4, now);                      // 10 - 8 = 2 < quorum 5
  EXPECT_EQ(realVerdict(step.events)->dynamicWeight, 2u);
  ASSERT_NE(quorumVerdict(step.events), nullptr);
  EXPECT_FALSE(quorumVerdict(step.events)->up);
  step = engine.onFileValue("/f", -2147483648LL, now);  // the fault state
  EXPECT_FALSE(realVerdict(step.events)->up);
  step = engine.onFileValue("/f", 0, now);  // back, at its configured weight
  EXPECT_TRUE(realVerdict(step.events)->up);
  EXPECT_EQ(realVerdict(step.events)->dynamicWeight, std::nullopt);
  EXPECT_TRUE(quorumVerdict(step.events)->up);
}

// Two files on one real: both must allow it, their deltas add up; the snapshot shows each.
TEST(FileCheckEngine, SeveralFilesAndSnapshot) {
  Engine engine;
  TimePoint now{};
  engine.apply(config({fileCheck("/a", 1), fileCheck("/b", 0, true)}), now);
  EXPECT_FALSE(
      realVerdict(
          engine.apply(config({fileCheck("/a", 1), fileCheck("/b", 0, true)}), now).verdicts)
          ->up);
  engine.onFileValue("/a", 5, now);
  EngineStep step = engine.onFileValue("/b", 1, now);
  EXPECT_TRUE(realVerdict(step.events)->up);
  EXPECT_EQ(realVerdict(step.events)->dynamicWeight, 15u);
  const HealthSnapshot snapshot = engine.snapshot(now, {});
  ASSERT_EQ(snapshot.reals.at(0).checkers.size(), 2u);
  EXPECT_EQ(snapshot.reals[0].checkers[0].kind, "FILE_CHECK");
  EXPECT_EQ(snapshot.reals[0].checkers[0].target, "T /a");
  EXPECT_EQ(snapshot.reals[0].checkers[0].lastDetail, "value 5, weight +5");
  EXPECT_TRUE(snapshot.reals[0].checkers[1].up);
}

// A reload keeps known values; files no longer watched are forgotten.
TEST(FileCheckEngine, ReloadKeepsValuesOfWatchedFiles) {
  Engine engine;
  TimePoint now{};
  engine.apply(config({fileCheck("/f", 0)}), now);
  engine.onFileValue("/f", 7, now);
  const ApplyOutcome same = engine.apply(config({fileCheck("/f", 0)}), now);
  EXPECT_FALSE(realVerdict(same.verdicts)->up);
  EXPECT_TRUE(same.scripts.empty());
  engine.apply(config({}), now);  // nobody watches /f now
  const ApplyOutcome back = engine.apply(config({fileCheck("/f", 0)}), now);
  EXPECT_TRUE(realVerdict(back.verdicts)->up);  // unread: 0, as a missing file
}

}  // namespace
}  // namespace ha::healthcheck

namespace ha::healthcheck {
namespace {

// The snapshot names every kind's target as operators read it (directorctl health).
TEST(FileCheckEngine, SnapshotTargetsOfEveryNewKind) {
  Engine engine;
  TimePoint now{};
  CheckerConfig smtp = harness::check(CheckKind::kSmtp, "10.0.0.1", 25);
  CheckerConfig dns = harness::check(CheckKind::kDns, "10.0.0.1", 53);
  CheckerConfig ping = harness::check(CheckKind::kPing, "fd00::1", 0);
  HealthConfig c = config({fileCheck("/f", 1)});
  c.virtualServers[0].reals[0].checkers = {smtp, dns, ping};
  engine.apply(c, now);
  const HealthSnapshot snapshot = engine.snapshot(now, {});
  const auto& checkers = snapshot.reals.at(0).checkers;
  ASSERT_EQ(checkers.size(), 4u);
  EXPECT_EQ(checkers[0].kind + " " + checkers[0].target, "SMTP_CHECK 10.0.0.1:25");
  EXPECT_EQ(checkers[1].kind + " " + checkers[1].target, "DNS_CHECK 10.0.0.1:53");
  EXPECT_EQ(checkers[2].kind + " " + checkers[2].target, "PING_CHECK fd00::1");
  EXPECT_EQ(checkers[3].kind + " " + checkers[3].target, "FILE_CHECK T /f");
}

}  // namespace
}  // namespace ha::healthcheck
