// MISC_CHECK: keepalived's exit-code rules (pure), then real scripts through ProcessRunner:
// exit codes, misc_dynamic, timeout, signals, unstartable programs, and the lifetime contract.
#include "healthcheck/misc_checker.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "common/child_process.h"
#include "healthcheck/checkers.h"
#include "tests/fakes/fake_process_runner.h"
#include "tests/unit/healthcheck/loopback_peers.h"

namespace ha::healthcheck {
namespace {

using namespace std::chrono_literals;

ExitStatus exited(int code) {
  ExitStatus status;
  status.started = true;
  status.exitCode = code;
  return status;
}

// misc_dynamic maps exit 2..255 to weight 0..253 and leaves 0 and 1 alone; without it every
// non-zero exit fails.
TEST(JudgeMiscExit, DynamicWeightRange) {
  EXPECT_EQ(judgeMiscExit(exited(2), true, 0ns).dynamicWeight, 0u);
  EXPECT_EQ(judgeMiscExit(exited(255), true, 0ns).dynamicWeight, 253u);
  const ProbeResult zero = judgeMiscExit(exited(0), true, 0ns);
  EXPECT_TRUE(zero.ok);
  EXPECT_FALSE(zero.dynamicWeight);
  EXPECT_EQ(judgeMiscExit(exited(1), true, 0ns).reason, FailureReason::kScriptFailed);
  const ProbeResult plain = judgeMiscExit(exited(2), false, 0ns);
  EXPECT_EQ(plain.reason, FailureReason::kScriptFailed);
  EXPECT_EQ(plain.detail, "exit 2");
  EXPECT_FALSE(plain.dynamicWeight);
}

// A timeout wins over the signal that ended the script: it is script-timeout, not script-killed.
TEST(JudgeMiscExit, TimeoutIsNotReportedAsKill) {
  ExitStatus status = exited(-1);
  status.signal = SIGKILL;
  status.timedOut = true;
  status.timeout = 2s;
  const ProbeResult result = judgeMiscExit(status, false, 2s);
  EXPECT_EQ(result.reason, FailureReason::kScriptTimeout);
  EXPECT_EQ(result.detail, "timed out after 2 s");
  EXPECT_EQ(result.latency, 2s);
}

ProbeSpec miscSpec(std::string command, Millis timeout = 2000ms, bool dynamic = false) {
  ProbeSpec spec;
  spec.kind = CheckKind::kMisc;
  spec.miscPath = std::move(command);
  spec.miscTimeout = timeout;
  spec.miscDynamic = dynamic;
  return spec;
}

// On a fake runner: misc_path reaches the runner split as keepalived splits it, with misc_timeout
// as the run's limit (keepalived's fallback when it is 0); the scripted end is judged: exit 7 with
// misc_dynamic sets weight 5, a timeout is script-timeout.
TEST(MiscCheckerOnFakes, RunsTheCommandAndJudgesItsEnd) {
  boost::asio::io_context io;
  test::FakeProcesses processes;
  std::unique_ptr<Checker> checker = makeMiscChecker(io, processes.makeRunner(io));
  processes.setOutcome("/usr/lib/ha/check", test::exitedWith(7));
  peers::Results results;
  checker->probe(miscSpec("/usr/lib/ha/check --vip '192.0.2.1 80'", 3000ms, true),
                 results.callback());
  EXPECT_TRUE(results.all.empty()) << "done ran inside probe()";
  io.run();
  ASSERT_EQ(results.all.size(), 1u);
  EXPECT_TRUE(results.all[0].ok);
  EXPECT_EQ(results.all[0].dynamicWeight, 5u);

  processes.setOutcome("/usr/lib/ha/check", test::timedOutAfter(kMiscFallbackTimeout));
  checker->probe(miscSpec("/usr/lib/ha/check", 0ms), results.callback());
  io.restart();
  io.run();
  ASSERT_EQ(results.all.size(), 2u);
  EXPECT_EQ(results.all[1].reason, FailureReason::kScriptTimeout);

  const auto runs = processes.runs();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].argv, (std::vector<std::string>{"/usr/lib/ha/check", "--vip", "192.0.2.1 80"}));
  EXPECT_EQ(runs[0].timeout, 3000ms);
  EXPECT_EQ(runs[1].argv, (std::vector<std::string>{"/usr/lib/ha/check"}));
  EXPECT_EQ(runs[1].timeout, kMiscFallbackTimeout);
}

class MiscCheckerTest : public ::testing::Test {
 protected:
  ProbeResult probeOnce(const ProbeSpec& spec) {
    peers::Results results;
    checker->probe(spec, results.callback());
    EXPECT_TRUE(results.all.empty()) << "done ran inside probe()";
    EXPECT_TRUE(peers::runUntil(
        io, [&] { return !results.all.empty(); }, 5s));
    peers::runFor(io, 20ms);
    EXPECT_EQ(results.all.size(), 1u);
    return results.all.empty() ? ProbeResult{} : results.all.front();
  }

  boost::asio::io_context io;
  std::unique_ptr<Checker> checker = makeMiscChecker(io, std::make_unique<ChildProcessRunner>(io));
};

// Exit 0 passes, with no weight change; the latency covers the script's run.
TEST_F(MiscCheckerTest, ExitZeroPasses) {
  const ProbeResult result = probeOnce(miscSpec("/bin/sh -c 'sleep 0.05; exit 0'"));
  EXPECT_TRUE(result.ok);
  EXPECT_FALSE(result.dynamicWeight);
  EXPECT_GE(result.latency, 50ms);
}

// Exit 1 is script-failed, with the exit in the detail.
TEST_F(MiscCheckerTest, ExitOneFails) {
  const ProbeResult result = probeOnce(miscSpec("/bin/sh -c 'exit 1'"));
  EXPECT_EQ(result.reason, FailureReason::kScriptFailed);
  EXPECT_EQ(result.detail, "exit 1");
}

// Without misc_dynamic any non-zero exit fails.
TEST_F(MiscCheckerTest, NonZeroExitWithoutDynamicFails) {
  const ProbeResult result = probeOnce(miscSpec("/bin/sh -c 'exit 3'"));
  EXPECT_EQ(result.reason, FailureReason::kScriptFailed);
  EXPECT_EQ(result.detail, "exit 3");
}

// With misc_dynamic, exit 5 passes and sets the weight to 3.
TEST_F(MiscCheckerTest, DynamicExitSetsWeight) {
  const ProbeResult result = probeOnce(miscSpec("/bin/sh -c 'exit 5'", 2000ms, true));
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.dynamicWeight, 3u);
}

// Arguments are split as keepalived does and passed without a shell: quotes group words.
TEST_F(MiscCheckerTest, QuotedArgumentsReachTheProgram) {
  EXPECT_TRUE(probeOnce(miscSpec(R"(/bin/sh -c 'test "$0" = "a b"' "a b")")).ok);
  EXPECT_FALSE(probeOnce(miscSpec(R"(/bin/sh -c 'test "$0" = "a b"' a b)")).ok);
}

// A script past misc_timeout is killed and reported as script-timeout within bounds.
TEST_F(MiscCheckerTest, TimeoutKillsTheScript) {
  const auto started = std::chrono::steady_clock::now();
  const ProbeResult result = probeOnce(miscSpec("/bin/sleep 10", 200ms));
  EXPECT_EQ(result.reason, FailureReason::kScriptTimeout);
  EXPECT_EQ(result.detail, "timed out after 200 ms");
  EXPECT_GE(result.latency, 200ms);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
}

// A program that does not exist cannot start: local-error naming it.
TEST_F(MiscCheckerTest, MissingProgramIsLocalError) {
  const ProbeResult result = probeOnce(miscSpec("/nonexistent/check --flag"));
  EXPECT_EQ(result.reason, FailureReason::kLocalError);
  EXPECT_EQ(result.detail, "cannot execute /nonexistent/check: No such file or directory");
}

// A script that dies by a signal is script-killed.
TEST_F(MiscCheckerTest, SignalIsScriptKilled) {
  const ProbeResult result = probeOnce(miscSpec("/bin/sh -c 'kill -9 $$'"));
  EXPECT_EQ(result.reason, FailureReason::kScriptKilled);
  EXPECT_EQ(result.detail, "killed by signal 9");
}

// An unterminated quote is reported (from the io_context) instead of running half a command.
TEST_F(MiscCheckerTest, UnparsableCommandIsLocalError) {
  const ProbeResult result = probeOnce(miscSpec("/bin/check 'oops"));
  EXPECT_EQ(result.reason, FailureReason::kLocalError);
  EXPECT_EQ(result.detail,
            "misc_path \"/bin/check 'oops\": unterminated quote or trailing backslash");
}

// misc_timeout 0 reaching the checker does not mean "no limit": a quick script still runs.
TEST_F(MiscCheckerTest, ZeroTimeoutStillRuns) {
  EXPECT_TRUE(probeOnce(miscSpec("/bin/true", 0ms)).ok);
}

// Destroying the checker kills a running script and runs no callback.
TEST_F(MiscCheckerTest, DestroyedCheckerKillsScriptWithoutCallback) {
  const std::filesystem::path pidFile =
      std::filesystem::temp_directory_path() / ("ha-misc-" + std::to_string(::getpid()) + ".pid");
  std::filesystem::remove(pidFile);
  int calls = 0;
  checker->probe(
      miscSpec("/bin/sh -c 'echo $$ > " + pidFile.string() + "; exec sleep 10'", 10000ms),
      [&](ProbeResult) { ++calls; });
  pid_t pid = 0;
  ASSERT_TRUE(peers::runUntil(io, [&] {
    std::ifstream file(pidFile);
    return static_cast<bool>(file >> pid);
  }));
  checker.reset();  // reaps the killed script before returning
  EXPECT_EQ(::kill(pid, 0), -1) << "script " << pid << " still running";
  peers::runFor(io, 50ms);
  EXPECT_EQ(calls, 0);
  std::filesystem::remove(pidFile);
}

}  // namespace
}  // namespace ha::healthcheck
