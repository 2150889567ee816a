#include "vrrp/script_tracker.h"

#include <stdlib.h>

#include <gtest/gtest.h>

#include <chrono>
#include <climits>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace ha::vrrp {
namespace {

using namespace std::chrono_literals;
using Status = ScriptHealth::Status;

// Real processes need real time: run the io_context until `done` or a generous bound.
bool runUntil(boost::asio::io_context& io, const std::function<bool()>& done,
              Duration limit = 10s) {
  const auto deadline = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    io.restart();
    io.run_one_for(10ms);
  }
  return true;
}

void runFor(boost::asio::io_context& io, Duration d) {
  runUntil(io, [] { return false; }, d);
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ha-script-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Feeds a sequence of results and returns the status after each, '+' success and '-' failure.
std::string trace(ScriptHealth health, const std::string& results) {
  std::string out;
  for (char r : results) {
    const bool changed = health.record(r == '+');
    out += health.status() == Status::kGood ? 'G' : 'B';
    if (changed) out += '*';
  }
  return out;
}

// Before any result the script is INIT: neither healthy nor failed.
TEST(ScriptHealth, StartsInInit) {
  ScriptHealth h(3, 3);
  EXPECT_EQ(h.status(), Status::kInit);
  EXPECT_EQ(h.healthy(), std::nullopt);
}

// keepalived: from INIT one success is enough to go up, and one failure to go down, whatever
// rise and fall are.
TEST(ScriptHealth, FirstResultDecidesFromInit) {
  EXPECT_EQ(trace(ScriptHealth(3, 3), "+"), "G*");
  EXPECT_EQ(trace(ScriptHealth(3, 3), "-"), "B*");
}

// Once up, `fall` consecutive failures take it down; a success in between refills the count.
TEST(ScriptHealth, FallConsecutiveFailures) {
  EXPECT_EQ(trace(ScriptHealth(2, 3), "+---"), "G*GGB*");
  EXPECT_EQ(trace(ScriptHealth(2, 3), "+--+--"), "G*GGGGG");
}

// Once down, `rise` consecutive successes bring it up; a failure in between restarts the count.
TEST(ScriptHealth, RiseConsecutiveSuccesses) {
  EXPECT_EQ(trace(ScriptHealth(3, 1), "-+++"), "B*BBG*");
  EXPECT_EQ(trace(ScriptHealth(3, 1), "-++-++"), "B*BBBBB");
  EXPECT_EQ(trace(ScriptHealth(1, 1), "-+-+"), "B*G*B*G*");
}

// init_fail: starts failed (no change reported by a first failure), needs `rise` successes.
TEST(ScriptHealth, InitFail) {
  ScriptHealth h(2, 2, /*initFail=*/true);
  EXPECT_EQ(h.status(), Status::kBad);
  EXPECT_EQ(trace(h, "-++"), "BBG*");
}

// rise/fall of 0 behave as 1.
TEST(ScriptHealth, ZeroRiseFallActAsOne) {
  EXPECT_EQ(trace(ScriptHealth(0, 0), "+-+"), "G*B*G*");
}

// Effective priority is clamped to 1..254 and the owner's 255 never moves (vrrp_track.c).
TEST(EffectivePriority, ClampsAndKeepsOwner) {
  EXPECT_EQ(effectivePriority(100, 10), 110);
  EXPECT_EQ(effectivePriority(100, -20), 80);
  EXPECT_EQ(effectivePriority(100, -150), 1);
  EXPECT_EQ(effectivePriority(1, -1), 1);
  EXPECT_EQ(effectivePriority(250, 10), 254);
  EXPECT_EQ(effectivePriority(100, INT_MAX), 254);
  EXPECT_EQ(effectivePriority(100, INT_MIN), 1);
  EXPECT_EQ(effectivePriority(255, -100), 255);
  EXPECT_EQ(effectivePriority(255, 10), 255);
}

struct World {
  std::map<std::string, ScriptView> scripts;
  std::map<std::string, bool> interfaces;
  TrackOutcome outcome(const std::vector<TrackedInterface>& ti,
                       const std::vector<TrackedScript>& ts) const {
    return trackOutcome(
        ti, ts,
        [this](const std::string& n) -> std::optional<ScriptView> {
          auto it = scripts.find(n);
          if (it == scripts.end()) return std::nullopt;
          return it->second;
        },
        [this](const std::string& n) { return interfaces.at(n); });
  }
};

// Positive weights count while healthy, negative ones while failing; the track_script weight
// overrides the script's own.
TEST(TrackOutcome, WeightsFollowKeepalivedSigns) {
  World w;
  w.scripts = {{"up_plus", {true, 10}},   {"down_plus", {false, 10}}, {"up_minus", {true, -20}},
               {"down_minus", {false, -20}}, {"override", {false, 50}}};
  w.interfaces = {{"eth1", false}, {"eth2", true}};
  const TrackOutcome out = w.outcome(
      {{"eth1", -5}, {"eth2", 3}},
      {{"up_plus", {}}, {"down_plus", {}}, {"up_minus", {}}, {"down_minus", {}},
       {"override", -7}});
  EXPECT_EQ(out.weightSum, 10 - 20 - 7 - 5 + 3);
  EXPECT_FALSE(out.fault);
  EXPECT_FALSE(out.pending);
}

// Weight 0 failing is a FAULT, with every cause named: interfaces first, then scripts.
TEST(TrackOutcome, WeightZeroFaults) {
  World w;
  w.scripts = {{"chk_x", {false, 0}}, {"chk_ok", {true, 0}}, {"chk_w", {false, 10}}};
  w.interfaces = {{"eth1", false}, {"eth2", true}};
  const TrackOutcome out =
      w.outcome({{"eth1", 0}, {"eth2", 0}}, {{"chk_x", {}}, {"chk_ok", {}}, {"chk_w", 0}});
  EXPECT_TRUE(out.fault);
  EXPECT_EQ(out.faultReason, "interface eth1 down, script chk_x failed, script chk_w failed");
  EXPECT_EQ(out.weightSum, 0);
}

// A script still in INIT adds no weight; with weight 0 it holds the instance back (pending),
// without faulting it. Unknown scripts are ignored.
TEST(TrackOutcome, InitScriptsArePending) {
  World w;
  w.scripts = {{"init0", {std::nullopt, 0}}, {"init_w", {std::nullopt, -30}}};
  EXPECT_EQ(w.outcome({}, {{"init_w", {}}}), (TrackOutcome{0, false, "", false}));
  EXPECT_EQ(w.outcome({}, {{"init0", {}}, {"missing", {}}}), (TrackOutcome{0, false, "", true}));
}

struct Changes {
  std::vector<std::pair<std::string, bool>> seen;
  ScriptTracker::Listener listener() {
    return [this](const std::string& name, bool healthy) { seen.emplace_back(name, healthy); };
  }
};

ScriptConfig script(const std::string& name, const std::string& command, Duration interval,
                    uint32_t rise = 1, uint32_t fall = 1) {
  ScriptConfig c;
  c.name = name;
  c.location = "test.conf:1";
  c.command = command;
  c.interval = interval;
  c.rise = rise;
  c.fall = fall;
  return c;
}

// A real script whose result a file switches: up at once, down after `fall` failures, up again
// after `rise` successes — each change reported once.
TEST(ScriptTracker, FollowsScriptResults) {
  TempDir dir;
  const std::string down = dir.file("down");
  boost::asio::io_context io;
  ChildProcessRunner runner(io);
  Changes changes;
  ScriptTracker tracker(io, runner, changes.listener());
  tracker.setScripts({script("chk", "/bin/sh -c 'test ! -e " + down + "'", 100ms, 2, 2)});
  EXPECT_EQ(tracker.healthy("chk"), std::nullopt);

  ASSERT_TRUE(runUntil(io, [&] { return changes.seen.size() == 1; }));
  EXPECT_EQ(changes.seen.back(), std::make_pair(std::string("chk"), true));
  EXPECT_EQ(tracker.healthy("chk"), true);
  EXPECT_EQ(tracker.view("chk")->healthy, true);

  std::ofstream(down).put('x');
  ASSERT_TRUE(runUntil(io, [&] { return changes.seen.size() == 2; }));
  EXPECT_EQ(changes.seen.back(), std::make_pair(std::string("chk"), false));
  EXPECT_EQ(tracker.healthy("chk"), false);

  std::filesystem::remove(down);
  ASSERT_TRUE(runUntil(io, [&] { return changes.seen.size() == 3; }));
  EXPECT_EQ(changes.seen.back(), std::make_pair(std::string("chk"), true));
  tracker.stop();
  ASSERT_TRUE(runUntil(io, [&] { return runner.running() == 0; }));
}

// A run that outlasts the interval is not overlapped by the next: starts and ends alternate.
TEST(ScriptTracker, RunsOfOneScriptNeverOverlap) {
  TempDir dir;
  const std::string log = dir.file("log");
  boost::asio::io_context io;
  ChildProcessRunner runner(io);
  Changes changes;
  ScriptTracker tracker(io, runner, changes.listener());
  ScriptConfig c = script(
      "slow", "/bin/sh -c 'echo start >> " + log + "; sleep 0.25; echo end >> " + log + "'", 100ms);
  c.timeout = 2s;
  tracker.setScripts({c});
  runFor(io, 1200ms);
  tracker.stop();
  ASSERT_TRUE(runUntil(io, [&] { return runner.running() == 0; }));

  std::ifstream in(log);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_GE(lines.size(), 4u);
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i], i % 2 == 0 ? "start" : "end") << "line " << i;
  }
  EXPECT_EQ(changes.seen, (std::vector<std::pair<std::string, bool>>{{"slow", true}}));
}

// A script killed at its timeout counts as a failure.
TEST(ScriptTracker, TimeoutIsFailure) {
  boost::asio::io_context io;
  ChildProcessRunner runner(io);
  Changes changes;
  ScriptTracker tracker(io, runner, changes.listener());
  ScriptConfig c = script("hang", "/bin/sleep 30", 1s);
  c.timeout = 100ms;
  tracker.setScripts({c});
  ASSERT_TRUE(runUntil(io, [&] { return changes.seen.size() == 1; }));
  EXPECT_EQ(changes.seen.back(), std::make_pair(std::string("hang"), false));
  tracker.stop();
  ASSERT_TRUE(runUntil(io, [&] { return runner.running() == 0; }));
}

// An unsplittable command fails every run instead of being silently ignored.
TEST(ScriptTracker, UnsplittableCommandFails) {
  boost::asio::io_context io;
  ChildProcessRunner runner(io);
  Changes changes;
  ScriptTracker tracker(io, runner, changes.listener());
  tracker.setScripts({script("bad", "/bin/true 'unterminated", 100ms)});
  EXPECT_TRUE(changes.seen.empty());  // never reported from inside setScripts()
  ASSERT_TRUE(runUntil(io, [&] { return changes.seen.size() == 1; }));
  EXPECT_EQ(changes.seen.back(), std::make_pair(std::string("bad"), false));
}

// Reload keeps the health of unchanged scripts (a weight change included), restarts changed ones
// from INIT and forgets removed ones.
TEST(ScriptTracker, ReloadMigratesByName) {
  boost::asio::io_context io;
  ChildProcessRunner runner(io);
  Changes changes;
  ScriptTracker tracker(io, runner, changes.listener());
  ScriptConfig keep = script("keep", "/bin/true", 100ms);
  ScriptConfig change = script("change", "/bin/true", 100ms);
  ScriptConfig gone = script("gone", "/bin/true", 100ms);
  tracker.setScripts({keep, change, gone});
  ASSERT_TRUE(runUntil(io, [&] { return changes.seen.size() == 3; }));

  keep.weight = -20;
  change.command = "/bin/false";
  tracker.setScripts({keep, change});
  EXPECT_EQ(tracker.healthy("keep"), true);
  EXPECT_EQ(tracker.view("keep")->weight, -20);
  EXPECT_EQ(tracker.healthy("change"), std::nullopt);
  EXPECT_EQ(tracker.view("gone"), std::nullopt);

  ASSERT_TRUE(runUntil(io, [&] { return changes.seen.size() == 4; }));
  EXPECT_EQ(changes.seen.back(), std::make_pair(std::string("change"), false));
  runFor(io, 300ms);
  EXPECT_EQ(changes.seen.size(), 4u);  // "keep" did not re-report
}

// stop() ends timers and children: no listener call afterwards, nothing left running.
TEST(ScriptTracker, StopIsFinal) {
  boost::asio::io_context io;
  ChildProcessRunner runner(io);
  Changes changes;
  ScriptTracker tracker(io, runner, changes.listener());
  ScriptConfig c = script("long", "/bin/sleep 30", 50ms);
  c.timeout = 10s;
  tracker.setScripts({c});
  runFor(io, 100ms);
  EXPECT_EQ(runner.running(), 1u);
  tracker.stop();
  ASSERT_TRUE(runUntil(io, [&] { return runner.running() == 0; }));
  runFor(io, 200ms);
  EXPECT_TRUE(changes.seen.empty());
  EXPECT_EQ(tracker.healthy("long"), std::nullopt);
}

}  // namespace
}  // namespace ha::vrrp
