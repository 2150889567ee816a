#pragma once
// A scripted, recording stand-in for ChildProcessRunner (docs/style.md §3). The test owns a
// FakeProcesses; the runners it builds (through factory(), on whatever io_context the service
// gives them) record every command with its timeout and end it as scripted:
//  - a program (argv[0]) ends with its scripted outcome, exit 0 unless setOutcome() says
//    otherwise — a timeout or a signal included, so a test can drive every ExitStatus path;
//  - a held program's runs keep running until end(), to test ordering and overlap.
// Like ChildProcessRunner it answers through the io_context, never inside run(), and a cancelled
// run or a destroyed runner never answers. Thread-safe: the test scripts and reads from its own
// thread while a service's thread runs commands.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "common/process_runner.h"

namespace ha::test {

ExitStatus exitedWith(int code);
ExitStatus timedOutAfter(Duration limit);
ExitStatus killedBySignal(int signal);

class FakeProcesses {
 public:
  struct Run {
    std::vector<std::string> argv;
    Duration timeout{};
    bool ended = false;      // its callback was delivered
    bool cancelled = false;  // cancel()ed, or its runner was destroyed before it ended
  };

  FakeProcesses();
  ~FakeProcesses();
  FakeProcesses(const FakeProcesses&) = delete;
  FakeProcesses& operator=(const FakeProcesses&) = delete;

  std::unique_ptr<ProcessRunner> makeRunner(boost::asio::io_context& io);
  // For the services' ServicePorts; runners share this script and record.
  ProcessRunnerFactory factory();

  void setOutcome(const std::string& program, ExitStatus status);
  void hold(const std::string& program);
  // Ends the oldest held run of `program` that is still running; false if there is none.
  bool endOldest(const std::string& program, ExitStatus status);

  std::vector<Run> runs() const;  // in start order
  // Waits (bounded, real time) until at least `count` runs have started.
  bool waitForRuns(size_t count, Duration limit = std::chrono::seconds(5)) const;

 private:
  struct Shared;
  class Runner;
  std::shared_ptr<Shared> shared_;
};

}  // namespace ha::test
