#pragma once
// The port through which vrrp/ and healthcheck/ run external programs (vrrp_script, notify
// scripts, MISC_CHECK). Production runs them with ChildProcessRunner (common/child_process.h);
// tests hand the services a fake that records each command and answers with a scripted exit.
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"

namespace ha {

// How a child ended. Exactly one of: not started (error), timed out (and killed), killed by a
// signal, exited with a code.
struct ExitStatus {
  bool started = false;
  int exitCode = -1;  // valid when started, !timedOut and signal == 0
  int signal = 0;     // terminating signal, 0 if it exited
  bool timedOut = false;
  Duration timeout{};  // the limit that was exceeded (for describe())
  std::string error;   // why it did not start

  bool success() const { return started && !timedOut && signal == 0 && exitCode == 0; }
  // "exit 0", "exit 1", "killed by signal 9", "timed out after 2 s",
  // "cannot execute /x: No such file or directory"
  std::string describe() const;
};

// The contract callers rely on, whatever the implementation: argv[0] is an absolute path and is
// executed without a shell; calls come from the io_context's thread only; `done` runs from the
// io_context, never from inside run(), exactly once — unless the run is cancel()ed or the runner
// is destroyed first (destruction ends every run and drops every callback).
class ProcessRunner {
 public:
  using RunId = uint64_t;
  using Done = std::function<void(const ExitStatus&)>;

  virtual ~ProcessRunner() = default;
  // timeout zero = none.
  virtual RunId run(std::vector<std::string> argv, Duration timeout, Done done) = 0;
  // Ends the run and forgets its callback. Unknown or finished ids are ignored.
  virtual void cancel(RunId id) = 0;
};

// Builds a runner bound to the io_context of the thread that will use it (a service's own).
using ProcessRunnerFactory =
    std::function<std::unique_ptr<ProcessRunner>(boost::asio::io_context&)>;

}  // namespace ha
