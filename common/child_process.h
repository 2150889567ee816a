#pragma once
// External programs for vrrp_script, notify scripts and (later) MISC_CHECK: keepalived's command-
// line splitting, and an asynchronous runner on Boost.Asio that never blocks its io_context thread.
//
// Why not a shell: keepalived execs scripts directly (notify.c, execve of the split argv), so
// `notify_master "/x 'a b'"` gets one argument `a b`, and shell metacharacters mean nothing.
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/process_runner.h"

namespace ha {

// keepalived's alloc_strvec_quoted_escaped() (core/parser.c): words split on whitespace; '...' and
// "..." group and may be glued to unquoted text (a"b c"d -> `ab cd`); a backslash escapes inside
// and outside quotes (\n \t \a \b \f \r \v \E, \xHH, \ooo octal, \cX control, else the character
// itself). nullopt on an unterminated quote or a trailing lone backslash. Unlike keepalived, \x
// takes at most two hex digits (keepalived shifts any number of them into one char).
std::optional<std::vector<std::string>> splitCommandLine(std::string_view line);

// Runs programs without a shell, each in its own process group, stdin/stdout/stderr on /dev/null,
// no other inherited descriptors (posix_spawn_file_actions_addclosefrom_np(3), so even fds opened
// without O_CLOEXEC stay out), signal mask emptied and dispositions reset (the daemon may block or
// ignore signals; keepalived's scripts start with defaults too), and an environment of its own:
// PATH=kScriptPath (common/program_path.h) and nothing else, so no secret of directord's
// environment reaches a script. argv[0] must be an absolute path: the config resolved it once, at
// load (resolveProgram); nothing is looked up in a PATH here.
//
// Exit is watched through pidfd_open(2) with an Asio stream_descriptor (wait_read) and reaped with
// waitid(P_PIDFD), so nothing blocks and no SIGCHLD handler is needed. Requirements on the rest of
// the process: nobody calls waitpid(-1)/wait() (it would steal our children) and SIGCHLD is not
// SIG_IGN (the kernel would auto-reap).
//
// A run ends with its whole process group, as keepalived ends a timed-out one (check_misc.c,
// vrrp_scheduler.c): SIGTERM to the group, SIGKILL `grace` later (keepalived: 2 s). On timeout
// that starts at the timeout; when the script exits by itself, at its exit, so what it left in the
// background goes too. Until the SIGKILL the exited leader stays an unreaped zombie: it holds its
// pid, so the group id cannot be reused by an unrelated process before we signal it. `done` runs
// when the leader exits (a leader that ignores SIGTERM after its timeout is reported at the
// SIGKILL). Descendants that left the group (setsid) are not ours to chase.
//
// Single-threaded: call only from the io_context's thread. `done` is always invoked from the
// io_context, never from inside run(), exactly once — unless the run is cancel()ed or the runner
// is destroyed first (ProcessRunner's contract, common/process_runner.h).
class ChildProcessRunner final : public ProcessRunner {
 public:
  static constexpr Duration kDefaultGrace = std::chrono::seconds(2);

  explicit ChildProcessRunner(boost::asio::io_context& io, Duration grace = kDefaultGrace);
  // SIGKILLs every process group still running or in its grace and reaps the leaders (waits for
  // the kernel to deliver SIGKILL: bounded, not a script's run time). No callbacks.
  ~ChildProcessRunner() override;
  ChildProcessRunner(const ChildProcessRunner&) = delete;
  ChildProcessRunner& operator=(const ChildProcessRunner&) = delete;

  // timeout zero = none.
  RunId run(std::vector<std::string> argv, Duration timeout, Done done) override;
  // SIGKILL the run's process group and forget its callback; it is still reaped in the
  // background. Unknown or finished ids are ignored.
  void cancel(RunId id) override;
  // SIGKILL every process group (running or in its grace); running ones' callbacks report
  // "killed by signal 9".
  void killAll();
  // Runs whose leader has not exited yet (cancelled ones included).
  size_t running() const;
  // Exited runs whose process group is in its grace (SIGTERM sent, SIGKILL due).
  size_t ending() const;

 private:
  struct Child;
  using Children = std::map<RunId, std::unique_ptr<Child>>;
  void watch(RunId id);
  void onExit(RunId id);
  void onTimeout(RunId id);
  void onGraceOver(RunId id);
  void armTimer(RunId id, Child& child, Duration after, void (ChildProcessRunner::*then)(RunId));
  void finish(Children::iterator it);

  boost::asio::io_context& io_;
  Duration grace_;
  RunId nextId_ = 1;
  Children children_;
  std::map<RunId, Done> failed_;  // spawn failures whose report is posted but not yet delivered
  // Handlers hold a weak_ptr to this: once the runner is gone, late handlers do nothing.
  std::shared_ptr<ChildProcessRunner*> self_;
};

// The production ProcessRunnerFactory: a ChildProcessRunner with the default grace.
std::unique_ptr<ProcessRunner> makeChildProcessRunner(boost::asio::io_context& io);

}  // namespace ha
