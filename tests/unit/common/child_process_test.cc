#include "common/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace ha {
namespace {

using namespace std::chrono_literals;
using Words = std::vector<std::string>;

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

bool noChildrenLeft() { return ::waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD; }

// A pid is gone once /proc no longer lists it or it is a zombie awaiting its (new) parent.
bool processGone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  std::string line;
  std::getline(stat, line);
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() &&
         (line[close + 2] == 'Z' || line[close + 2] == 'X');
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ha-proc-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

struct Collector {
  std::vector<ExitStatus> results;
  ProcessRunner::Done callback() {
    return [this](const ExitStatus& s) { results.push_back(s); };
  }
};

// Whitespace separates words; runs of it and leading/trailing space produce no empty words.
TEST(SplitCommandLine, SplitsOnWhitespace) {
  EXPECT_EQ(splitCommandLine("  /bin/check  -a\tb \n"), (Words{"/bin/check", "-a", "b"}));
  EXPECT_EQ(splitCommandLine(""), Words{});
  EXPECT_EQ(splitCommandLine("   "), Words{});
}

// Both quote kinds group, can be glued to unquoted text, and "" is an empty argument.
TEST(SplitCommandLine, QuotesGroupWords) {
  EXPECT_EQ(splitCommandLine(R"(/x "a b" 'c d')"), (Words{"/x", "a b", "c d"}));
  EXPECT_EQ(splitCommandLine(R"(a"b c"d)"), (Words{"ab cd"}));
  EXPECT_EQ(splitCommandLine(R"(/x "" '')"), (Words{"/x", "", ""}));
  EXPECT_EQ(splitCommandLine(R"("it's" 'say "hi"')"), (Words{"it's", "say \"hi\""}));
}

// keepalived's escapes work inside and outside quotes (unlike a shell's single quotes).
TEST(SplitCommandLine, BackslashEscapes) {
  EXPECT_EQ(splitCommandLine(R"(a\ b \"q\" '\'')"), (Words{"a b", "\"q\"", "'"}));
  EXPECT_EQ(splitCommandLine(R"(\t\n "\x41\101" \cA \\)"), (Words{"\t\n", "AA", "\x01", "\\"}));
  EXPECT_EQ(splitCommandLine(R"(\x414)"), (Words{"A4"}));  // at most two hex digits
}

// An unterminated quote or a trailing lone backslash is a refusal, not a guess.
TEST(SplitCommandLine, RejectsUnterminated) {
  EXPECT_EQ(splitCommandLine(R"(/x "a b)"), std::nullopt);
  EXPECT_EQ(splitCommandLine("/x 'a"), std::nullopt);
  EXPECT_EQ(splitCommandLine("/x a\\"), std::nullopt);
}

// The log wording of each outcome.
TEST(ExitStatus, Describe) {
  ExitStatus s;
  s.error = "cannot execute /x: No such file or directory";
  EXPECT_EQ(s.describe(), "cannot execute /x: No such file or directory");
  s = ExitStatus{};
  s.started = true;
  s.exitCode = 1;
  EXPECT_EQ(s.describe(), "exit 1");
  s.signal = 9;
  EXPECT_EQ(s.describe(), "killed by signal 9");
  s.timedOut = true;
  s.timeout = 2s;
  EXPECT_EQ(s.describe(), "timed out after 2 s");
  s.timeout = 200ms;
  EXPECT_EQ(s.describe(), "timed out after 200 ms");
  EXPECT_FALSE(s.success());
}

// Exit codes and terminating signals are reported as such.
TEST(ProcessRunner, ReportsExitCodesAndSignals) {
  boost::asio::io_context io;
  ChildProcessRunner runner(io);
  Collector c;
  runner.run({"/bin/true"}, 5s, c.callback());
  runner.run({"/bin/sh", "-c", "exit 3"}, 5s, c.callback());
  runner.run({"/bin/sh", "-c", "kill -TERM $$"}, 5s, c.callback());
  runner.run({"/bin/false"}, 5s, c.callback());
  ASSERT_TRUE(runUntil(io, [&] { return c.results.size() == 4; }));
  // Completion order is the kernel's; sort by what we can identify.
  int successes = 0, code3 = 0, code1 = 0, term = 0;
  for (const ExitStatus& s : c.results) {
    EXPECT_TRUE(s.started);
    EXPECT_FALSE(s.timedOut);
    successes += s.success();
    code3 += s.signal == 0 && s.exitCode == 3;
    code1 += s.signal == 0 && s.exitCode == 1;
    term += s.signal == SIGTERM;
  }
  EXPECT_EQ(successes, 1);
  EXPECT_EQ(code3, 1);
  EXPECT_EQ(code1, 1);
  EXPECT_EQ(term, 1);
  EXPECT_EQ(runner.running(), 0u);
  ASSERT_TRUE(runUntil(io, [&] { return runner.ending() == 0; }));
  EXPECT_TRUE(noChildrenLeft());
}

// A bare name is not looked up in any PATH at run time: the config resolves it once, at load.
TEST(ProcessRunner, RefusesRelativeProgramNames) {
  boost::asio::io_context io;
  ChildProcessRunner runner(io);
  Collector c;
  runner.run({"true"}, 1s, c.callback());
  runner.run({"bin/true"}, 1s, c.callback());
  ASSERT_TRUE(runUntil(io, [&] { return c.results.size() == 2; }));
  EXPECT_EQ(c.results[0].describe(), "cannot execute true: not an absolute path");
  EXPECT_EQ(c.results[1].describe(), "cannot execute bin/true: not an absolute path");
  EXPECT_TRUE(noChildrenLeft());
}

// A script sees PATH=/usr/sbin:/usr/bin:/sbin:/bin and nothing of directord's environment: a
// SECRET_TOKEN set in ours does not reach it (keepalived 2.2.7 passes its whole environment).
TEST(ProcessRunner, ScriptsGetAMinimalEnvironment) {
  TempDir dir;
  ASSERT_EQ(::setenv("SECRET_TOKEN", "hunter2", 1), 0);
  ASSERT_EQ(::setenv("LD_PRELOAD", "/nonexistent/evil.so", 1), 0);
  boost::asio::io_context io;
  ChildProcessRunner runner(io);
  Collector c;
  const std::string out = dir.file("env");
  runner.run({"/usr/bin/env"}, 5s, c.callback());  // stdout is /dev/null: only the exit counts
  runner.run({"/bin/sh", "-c", "/usr/bin/env > " + out}, 5s, c.callback());
  ASSERT_TRUE(runUntil(io, [&] { return c.results.size() == 2; }));
  ::unsetenv("SECRET_TOKEN");
  ::unsetenv("LD_PRELOAD");
  for (const ExitStatus& s : c.results) EXPECT_TRUE(s.success()) << s.describe();
  std::ifstream in(out);
  std::vector<std::string> env;
  for (std::string line; std::getline(in, line);) env.push_back(line);
  // dash adds PWD for its own children; everything else must be ours.
  std::vector<std::string> notPwd;
  for (const auto& line : env) {
    if (line.rfind("PWD=", 0) != 0) notPwd.push_back(line);
  }
  EXPECT_EQ(notPwd, std::vector<std::string>{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"});
  for (const auto& line : env) EXPECT_EQ(line.find("SECRET_TOKEN"), std::string::npos) << line;
}

// Every process in the group of `pgid` (the leader included, zombies not), from /proc.
std::vector<pid_t> liveMembersOf(pid_t pgid) {
  std::vector<pid_t> members;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state = 0;
    pid_t ppid = 0, pgrp = 0;
    if (!(rest >> state >> ppid >> pgrp)) continue;
    if (pgrp == pgid && state != 'Z' && state != 'X') members.push_back(std::stoi(name));
  }
  return members;
}

pid_t readPid(const std::string& file) {
  std::ifstream in(file);
  pid_t pid = 0;
  in >> pid;
  return pid;
}

// A script that exits leaving `sleep 1000` in the background leaves nothing: its group gets
// SIGTERM as the leader exits, and the leader is reaped once the grace is over.
TEST(ProcessRunner, ExitEndsTheWholeProcessGroup) {
  TempDir dir;
  boost::asio::io_context io;
  ChildProcessRunner runner(io, 300ms);
  Collector c;
  const std::string pids = dir.file("pids");
  runner.run({"/bin/sh", "-c", "/bin/sleep 1000 & echo $$ $! > " + pids + "; exit 0"}, 5s,
             c.callback());
  ASSERT_TRUE(runUntil(io, [&] { return c.results.size() == 1; }));
  EXPECT_EQ(c.results[0].describe(), "exit 0");
  std::ifstream in(pids);
  pid_t leader = 0, background = 0;
  ASSERT_TRUE(in >> leader >> background);
  EXPECT_TRUE(runUntil(io, [&] { return processGone(background); }, 5s))
      << "background sleep " << background << " outlived its script";
  EXPECT_EQ(runner.running(), 0u);
  ASSERT_TRUE(runUntil(io, [&] { return runner.ending() == 0; }, 5s));
  EXPECT_EQ(liveMembersOf(leader), std::vector<pid_t>{});
  EXPECT_TRUE(noChildrenLeft());
}

// A background child that ignores SIGTERM is still there within the grace and gone after it
// (SIGKILL to the group).
TEST(ProcessRunner, GraceEndsInSigkill) {
  TempDir dir;
  boost::asio::io_context io;
  ChildProcessRunner runner(io, 500ms);
  Collector c;
  const std::string pid = dir.file("pid");
  // TERM is ignored before the fork, and an ignored disposition survives fork and exec.
  runner.run({"/bin/sh", "-c", "trap '' TERM; /bin/sleep 1000 & echo $! > " + pid}, 5s,
             c.callback());
  ASSERT_TRUE(runUntil(io, [&] { return c.results.size() == 1; }));
  const auto exitedAt = Clock::now();
  EXPECT_EQ(c.results[0].describe(), "exit 0");
  const pid_t stubborn = readPid(pid);
  ASSERT_GT(stubborn, 0);
  EXPECT_FALSE(processGone(stubborn)) << "ended before the grace: SIGTERM was not ignored";
  EXPECT_EQ(runner.ending(), 1u);
  EXPECT_TRUE(runUntil(io, [&] { return processGone(stubborn); }, 5s));
  EXPECT_GE(Clock::now() - exitedAt, 400ms);
  ASSERT_TRUE(runUntil(io, [&] { return runner.ending() == 0; }));
  EXPECT_TRUE(noChildrenLeft());
}

// A script that ignores SIGTERM past its timeout is SIGKILLed after the grace and reported
// then: timed out, signal 9; nothing of its group survives.
TEST(ProcessRunner, TimeoutThenSigkillWhenTermIsIgnored) {
  TempDir dir;
  boost::asio::io_context io;
  ChildProcessRunner runner(io, 300ms);
  Collector c;
  const std::string pid = dir.file("pid");
  const auto start = Clock::now();
  runner.run({"/bin/sh", "-c", "trap '' TERM; /bin/sleep 1000 & echo $! > " + pid + "; wait"},
             200ms, c.callback());
  ASSERT_TRUE(runUntil(io, [&] { return c.results.size() == 1; }));
  EXPECT_GE(Clock::now() - start, 450ms);
  EXPECT_TRUE(c.results[0].timedOut);
  EXPECT_EQ(c.results[0].signal, SIGKILL);
  EXPECT_EQ(c.results[0].describe(), "timed out after 200 ms");
  const pid_t background = readPid(pid);
  ASSERT_GT(background, 0);
  EXPECT_TRUE(runUntil(io, [&] { return processGone(background); }, 5s));
  EXPECT_EQ(runner.running() + runner.ending(), 0u);
  EXPECT_TRUE(noChildrenLeft());
}

// Destroying the runner while a group is in its grace ends the group and reaps the leader.
TEST(ProcessRunner, DestructorEndsGroupsInTheirGrace) {
  TempDir dir;
  boost::asio::io_context io;
  Collector c;
  const std::string pid = dir.file("pid");
  {
    ChildProcessRunner runner(io, 10s);
    runner.run({"/bin/sh", "-c", "trap '' TERM; /bin/sleep 1000 & echo $! > " + pid}, 5s,
               c.callback());
    ASSERT_TRUE(runUntil(io, [&] { return c.results.size() == 1; }));
    EXPECT_EQ(runner.ending(), 1u);
  }
  const pid_t stubborn = readPid(pid);
  ASSERT_GT(stubborn, 0);
  EXPECT_TRUE(runUntil(io, [&] { return processGone(stubborn); }, 5s));
  EXPECT_TRUE(noChildrenLeft());
}

// A missing executable is reported (not started, errno text) from the io_context, not inline.
TEST(ProcessRunner, MissingExecutable) {
  boost::asio::io_context io;
  ChildProcessRunner runner(io);
  Collector c;
  runner.run({"/nonexistent/check"}, 1s, c.callback());
  runner.run({}, 1s, c.callback());
  EXPECT_TRUE(c.results.empty());  // never re-enters the caller
  ASSERT_TRUE(runUntil(io, [&] { return c.results.size() == 2; }));
  EXPECT_FALSE(c.results[0].started);
  EXPECT_EQ(c.results[0].describe(),
            "cannot execute /nonexistent/check: No such file or directory");
  EXPECT_EQ(c.results[1].describe(), "empty command");
  EXPECT_TRUE(noChildrenLeft());
}

// On timeout the whole process group gets SIGTERM: the shell and the sleep it put in the
// background.
TEST(ProcessRunner, TimeoutEndsProcessGroup) {
  TempDir dir;
  boost::asio::io_context io;
  ChildProcessRunner runner(io);
  Collector c;
  const std::string pidFile = dir.file("bg.pid");
  const auto start = Clock::now();
  runner.run({"/bin/sh", "-c", "sleep 30 & echo $! > " + pidFile + "; sleep 30"}, 200ms,
             c.callback());
  ASSERT_TRUE(runUntil(io, [&] { return c.results.size() == 1; }));
  EXPECT_LT(Clock::now() - start, 1500ms);  // SIGTERM did it: no wait for the 2 s grace
  EXPECT_TRUE(c.results[0].timedOut);
  EXPECT_EQ(c.results[0].signal, SIGTERM);
  EXPECT_EQ(c.results[0].describe(), "timed out after 200 ms");

  std::ifstream in(pidFile);
  pid_t background = 0;
  ASSERT_TRUE(in >> background) << "the shell did not record its background pid";
  EXPECT_TRUE(runUntil(io, [&] { return processGone(background); }, 5s))
      << "background sleep " << background << " survived the timeout";
  ASSERT_TRUE(runUntil(io, [&] { return runner.ending() == 0; }, 5s));
  EXPECT_TRUE(noChildrenLeft());
}

// Descriptors the daemon holds open (even without O_CLOEXEC) are not inherited.
TEST(ProcessRunner, DoesNotLeakDescriptors) {
  const int leaked = ::open("/dev/null", O_RDONLY);  // deliberately not O_CLOEXEC
  ASSERT_GE(leaked, 3);
  boost::asio::io_context io;
  ChildProcessRunner runner(io);
  Collector c;
  const std::string fd = std::to_string(leaked);
  runner.run({"/bin/sh", "-c", "test -e /proc/$$/fd/" + fd + " && exit 7; exit 0"}, 5s,
             c.callback());
  ASSERT_TRUE(runUntil(io, [&] { return c.results.size() == 1; }));
  ::close(leaked);
  EXPECT_EQ(c.results[0].describe(), "exit 0");
}

// Many overlapping runs all complete, each reported once, and every child is reaped.
TEST(ProcessRunner, ManyConcurrentRunsLeaveNoZombies) {
  boost::asio::io_context io;
  ChildProcessRunner runner(io);
  std::vector<int> codes;
  constexpr int kRuns = 64;
  for (int i = 0; i < kRuns; ++i) {
    runner.run({"/bin/sh", "-c", "exit " + std::to_string(i % 5)}, 10s,
               [&codes](const ExitStatus& s) { codes.push_back(s.exitCode); });
  }
  EXPECT_EQ(runner.running(), static_cast<size_t>(kRuns));
  ASSERT_TRUE(runUntil(io, [&] { return codes.size() == kRuns; }, 30s));
  int sum = 0;
  for (int code : codes) sum += code;
  EXPECT_EQ(sum, (kRuns / 5) * (0 + 1 + 2 + 3 + 4) + (0 + 1 + 2 + 3));  // 64 = 12 * 5 + 4
  EXPECT_EQ(runner.running(), 0u);
  ASSERT_TRUE(runUntil(io, [&] { return runner.ending() == 0; }, 5s));
  EXPECT_TRUE(noChildrenLeft());
}

// cancel() kills the run and drops its callback, yet the child is still reaped.
TEST(ProcessRunner, CancelSuppressesCallbackAndReaps) {
  boost::asio::io_context io;
  ChildProcessRunner runner(io);
  Collector c;
  const auto id = runner.run({"/bin/sleep", "30"}, 0s, c.callback());
  runner.cancel(id);
  runner.cancel(id + 100);  // unknown ids are ignored
  ASSERT_TRUE(runUntil(io, [&] { return runner.running() == 0; }));
  io.restart();
  io.poll();
  EXPECT_TRUE(c.results.empty());
  EXPECT_TRUE(noChildrenLeft());
}

// killAll() ends everything; each callback reports the SIGKILL.
TEST(ProcessRunner, KillAllReportsSignal) {
  boost::asio::io_context io;
  ChildProcessRunner runner(io);
  Collector c;
  runner.run({"/bin/sleep", "30"}, 0s, c.callback());
  runner.run({"/bin/sleep", "30"}, 0s, c.callback());
  runner.killAll();
  ASSERT_TRUE(runUntil(io, [&] { return c.results.size() == 2; }));
  for (const ExitStatus& s : c.results) EXPECT_EQ(s.describe(), "killed by signal 9");
}

// Destroying the runner kills and reaps what still runs, without invoking callbacks.
TEST(ProcessRunner, DestructorKillsAndReaps) {
  boost::asio::io_context io;
  Collector c;
  {
    ChildProcessRunner runner(io);
    runner.run({"/bin/sleep", "30"}, 0s, c.callback());
    runner.run({"/nonexistent"}, 0s, c.callback());
  }
  EXPECT_TRUE(noChildrenLeft());
  io.restart();
  io.poll();  // late handlers of the dead runner do nothing
  EXPECT_TRUE(c.results.empty());
}

}  // namespace
}  // namespace ha
