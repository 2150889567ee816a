#include "vrrp/notifier.h"

#include <stdlib.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

namespace ha::vrrp {
namespace {

using namespace std::chrono_literals;
using Lines = std::vector<std::string>;

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

// A temp dir with rec.sh, which appends its arguments as one line "[a][b c]" to `log`; a first
// argument "slow" makes it sleep 0.2 s first (and is not recorded).
class Recorder {
 public:
  Recorder() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ha-notify-XXXXXX").string();
    dir_ = ::mkdtemp(pattern.data());
    std::ofstream(dir_ / "rec.sh") << "[ \"$1\" = slow ] && { shift; sleep 0.2; }\n"
                                      "line=''\n"
                                      "for a in \"$@\"; do line=\"$line[$a]\"; done\n"
                                      "echo \"$line\" >> '"
                                   << (dir_ / "log").string() << "'\n";
  }
  ~Recorder() { std::filesystem::remove_all(dir_); }

  // A notify command line running rec.sh with these words before keepalived's arguments.
  std::string command(const std::string& words = "") const {
    return "/bin/sh " + (dir_ / "rec.sh").string() + (words.empty() ? "" : " " + words);
  }
  Lines lines() const {
    std::ifstream in(dir_ / "log");
    Lines out;
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

 private:
  std::filesystem::path dir_;
};

InstanceConfig instance(const Recorder& rec) {
  InstanceConfig c;
  c.name = "VI_1";
  c.notify.master = rec.command("master-script 'two words'");
  c.notify.backup = rec.command("backup-script");
  c.notify.fault = rec.command("fault-script");
  c.notify.stop = rec.command("stop-script");
  c.notify.any = rec.command();
  return c;
}

// The state's own script runs with only its configured arguments, then `notify` gets INSTANCE,
// name, state and the effective priority (keepalived vrrp_notify.c).
TEST(Notifier, InstanceScriptsAndArguments) {
  Recorder rec;
  boost::asio::io_context io;
  ChildProcessRunner runner(io);
  Notifier notifier(runner);
  notifier.instanceChanged(instance(rec), State::kMaster, 110);
  EXPECT_EQ(notifier.pending(), 2u);
  ASSERT_TRUE(runUntil(io, [&] { return notifier.pending() == 0; }));
  EXPECT_EQ(rec.lines(), (Lines{"[master-script][two words]", "[INSTANCE][VI_1][MASTER][110]"}));
}

// A quick MASTER -> BACKUP -> FAULT flap is delivered in order even when a script is slow.
TEST(Notifier, OneInstanceRunsInOrder) {
  Recorder rec;
  InstanceConfig c = instance(rec);
  c.notify.master = rec.command("slow master-script");
  boost::asio::io_context io;
  ChildProcessRunner runner(io);
  Notifier notifier(runner);
  notifier.instanceChanged(c, State::kMaster, 100);
  notifier.instanceChanged(c, State::kBackup, 100);
  notifier.instanceChanged(c, State::kFault, 90);
  ASSERT_TRUE(runUntil(io, [&] { return notifier.pending() == 0; }));
  EXPECT_EQ(rec.lines(), (Lines{"[master-script]", "[INSTANCE][VI_1][MASTER][100]",
                                "[backup-script]", "[INSTANCE][VI_1][BACKUP][100]",
                                "[fault-script]", "[INSTANCE][VI_1][FAULT][90]"}));
}

// Groups get GROUP and priority 0; STOP runs notify_stop then `notify ... STOP`; INIT is silent.
TEST(Notifier, GroupsStopAndInit) {
  Recorder rec;
  SyncGroupConfig g;
  g.name = "G1";
  g.notify.fault = rec.command("group-fault");
  g.notify.any = rec.command();
  boost::asio::io_context io;
  ChildProcessRunner runner(io);
  Notifier notifier(runner);
  notifier.groupChanged(g, State::kFault);
  notifier.groupChanged(g, State::kInitialize);
  notifier.groupStopped(g);
  notifier.instanceChanged(instance(rec), State::kInitialize, 100);
  ASSERT_TRUE(runUntil(io, [&] { return notifier.pending() == 0; }));
  notifier.instanceStopped(instance(rec), 100);
  ASSERT_TRUE(runUntil(io, [&] { return notifier.pending() == 0; }));
  EXPECT_EQ(rec.lines(), (Lines{"[group-fault]", "[GROUP][G1][FAULT][0]", "[GROUP][G1][STOP][0]",
                                "[stop-script]", "[INSTANCE][VI_1][STOP][100]"}));
}

// A script that cannot start, one that hangs past the timeout, and one that cannot be split
// are logged and skipped: the rest of the queue still runs.
TEST(Notifier, FailuresDoNotBlockTheQueue) {
  Recorder rec;
  InstanceConfig c = instance(rec);
  c.notify.master = "/nonexistent/notify";
  c.notify.backup = "/bin/sleep 30";
  c.notify.fault = "/bin/true 'unterminated";
  boost::asio::io_context io;
  ChildProcessRunner runner(io);
  Notifier notifier(runner, /*timeout=*/200ms);
  notifier.instanceChanged(c, State::kMaster, 100);
  notifier.instanceChanged(c, State::kBackup, 100);
  notifier.instanceChanged(c, State::kFault, 100);
  ASSERT_TRUE(runUntil(io, [&] { return notifier.pending() == 0; }));
  EXPECT_EQ(rec.lines(), (Lines{"[INSTANCE][VI_1][MASTER][100]", "[INSTANCE][VI_1][BACKUP][100]",
                                "[INSTANCE][VI_1][FAULT][100]"}));
  EXPECT_EQ(runner.running(), 0u);
}

// whenIdle fires at once when idle, else once the last queued script has ended.
TEST(Notifier, WhenIdle) {
  Recorder rec;
  boost::asio::io_context io;
  ChildProcessRunner runner(io);
  Notifier notifier(runner);
  int calls = 0;
  notifier.whenIdle([&] { ++calls; });
  EXPECT_EQ(calls, 1);
  notifier.instanceStopped(instance(rec), 100);
  notifier.whenIdle([&] { ++calls; });
  EXPECT_EQ(calls, 1);
  ASSERT_TRUE(runUntil(io, [&] { return calls == 2; }));
  EXPECT_EQ(notifier.pending(), 0u);
  EXPECT_EQ(rec.lines().size(), 2u);
}

// Destroying the notifier cancels what runs; no callback reaches the dead object.
TEST(Notifier, DestructionCancels) {
  Recorder rec;
  InstanceConfig c = instance(rec);
  c.notify.master = "/bin/sleep 30";
  boost::asio::io_context io;
  ChildProcessRunner runner(io);
  {
    Notifier notifier(runner);
    notifier.instanceChanged(c, State::kMaster, 100);
    EXPECT_EQ(runner.running(), 1u);
  }
  ASSERT_TRUE(runUntil(io, [&] { return runner.running() == 0; }));
  EXPECT_TRUE(rec.lines().empty());
}

}  // namespace
}  // namespace ha::vrrp
