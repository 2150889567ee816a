#include "common/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <system_error>
#include <utility>

#include "common/log.h"
#include "common/program_path.h"

namespace ha {
namespace {

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool isOctal(char c) { return c >= '0' && c <= '7'; }

// The character after a backslash starts at line[i]; returns the decoded byte and moves i past
// the escape. keepalived's escape set (core/parser.c alloc_strvec_quoted_escaped).
char unescape(std::string_view line, size_t& i) {
  const char c = line[i];
  if (c == 'x' && i + 1 < line.size() && hexValue(line[i + 1]) >= 0) {
    int value = 0;
    ++i;
    for (int digits = 0; digits < 2 && i < line.size() && hexValue(line[i]) >= 0; ++digits) {
      value = value * 16 + hexValue(line[i++]);
    }
    return static_cast<char>(value);
  }
  if (c == 'c' && i + 1 < line.size()) {
    const char control = static_cast<char>(line[i + 1] & 0x1f);
    i += 2;
    return control;
  }
  if (isOctal(c)) {
    int value = 0;
    for (int digits = 0; digits < 3 && i < line.size() && isOctal(line[i]); ++digits) {
      value = value * 8 + (line[i++] - '0');
    }
    return static_cast<char>(value);
  }
  ++i;
  switch (c) {
    case 'a': return '\a';
    case 'b': return '\b';
    case 'E': return '\x1b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'v': return '\v';
    default: return c;  // \\ \" \' \  and anything else: the character itself
  }
}

std::string errnoText(int err) { return std::error_code(err, std::generic_category()).message(); }

std::string formatDuration(Duration d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  return std::to_string(ms) + " ms";
}

// PATH=kScriptPath and nothing else (keepalived 2.2.7 passes its whole environment; newer ones
// unset IFS, LD_PRELOAD and LD_LIBRARY_PATH — an allow-list leaves nothing to forget).
char* const* scriptEnvironment() {
  static std::string path = "PATH=" + std::string(kScriptPath);
  static char* const env[] = {path.data(), nullptr};
  return env;
}

// posix_spawn: no shell, new process group, /dev/null on 0/1/2, nothing else inherited, default
// signal mask and dispositions, the script environment. Returns the pid, or -1 with `error` set.
pid_t spawn(const std::vector<std::string>& argv, std::string& error) {
  if (argv[0].empty() || argv[0].front() != '/') {
    error = "cannot execute " + argv[0] + ": not an absolute path";
    return -1;
  }
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);  // pgid = the child's pid: kill(-pid) reaches its group
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigdefault(&attr, &all);

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);

  pid_t pid = -1;
  // glibc reports exec failures (ENOENT, EACCES, ENOEXEC) as the return value and reaps the
  // failed child itself.
  const int rc =
      posix_spawn(&pid, argv[0].c_str(), &actions, &attr, args.data(), scriptEnvironment());
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    error = "cannot execute " + argv[0] + ": " + errnoText(rc);
    return -1;
  }
  return pid;
}

// Through syscall(2): glibc 2.36's <sys/pidfd.h> lacks extern "C" and cannot be used from C++.
int pidfdOpen(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0U)); }

int waitPidfd(int pidfd, siginfo_t& info, int options) {
  int rc;
  do {
    info = siginfo_t{};
    rc = ::waitid(P_PIDFD, static_cast<id_t>(pidfd), &info, options);
  } while (rc != 0 && errno == EINTR);
  return rc;
}

}  // namespace

std::optional<std::vector<std::string>> splitCommandLine(std::string_view line) {
  std::vector<std::string> words;
  size_t i = 0;
  while (true) {
    while (i < line.size() && isSpace(line[i])) ++i;
    if (i == line.size()) break;
    std::string word;
    char quote = 0;
    while (i < line.size()) {
      const char c = line[i];
      if (c == '\\') {
        if (++i == line.size()) return std::nullopt;  // nothing left to escape
        word.push_back(unescape(line, i));
      } else if (quote != 0) {
        if (c == quote) quote = 0;
        else word.push_back(c);
        ++i;
      } else if (c == '\'' || c == '"') {
        quote = c;
        ++i;
      } else if (isSpace(c)) {
        break;
      } else {
        word.push_back(c);
        ++i;
      }
    }
    if (quote != 0) return std::nullopt;
    words.push_back(std::move(word));
  }
  return words;
}

std::string ExitStatus::describe() const {
  if (!started) return error;
  if (timedOut) return "timed out after " + formatDuration(timeout);
  if (signal != 0) return "killed by signal " + std::to_string(signal);
  return "exit " + std::to_string(exitCode);
}

struct ChildProcessRunner::Child {
  Child(boost::asio::io_context& io, int pidfd) : exitWatch(io, pidfd), timer(io) {}
  int pidfd() { return exitWatch.native_handle(); }

  pid_t pid = -1;  // also the process group id
  boost::asio::posix::stream_descriptor exitWatch;  // owns the pidfd; closed once the leader exited
  boost::asio::steady_timer timer;                  // the run's timeout, then the group's grace
  uint64_t timerArmed = 0;  // which arming a timer handler belongs to: stale ones do nothing
  Done done;                // empty once cancelled or delivered
  Duration timeout{};
  bool timedOut = false;
  bool exited = false;     // the leader exited (a zombie until finish())
  bool termSent = false;   // SIGTERM sent to the group
  bool killSent = false;   // SIGKILL sent to the group
};

ChildProcessRunner::ChildProcessRunner(boost::asio::io_context& io, Duration grace)
    : io_(io), grace_(grace), self_(std::make_shared<ChildProcessRunner*>(this)) {}

ChildProcessRunner::~ChildProcessRunner() {
  self_.reset();
  for (auto& [id, child] : children_) {
    ::kill(-child->pid, SIGKILL);
    siginfo_t info;
    int rc;
    if (child->exited) {
      do {
        rc = ::waitid(P_PID, static_cast<id_t>(child->pid), &info, WEXITED);
      } while (rc != 0 && errno == EINTR);
    } else {
      // Asio made the pidfd non-blocking, and waitid() on a non-blocking pidfd returns EAGAIN
      // instead of waiting. SIGKILL is prompt: this wait is bounded, and leaves no zombie.
      const int fd = child->pidfd();
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
      rc = waitPidfd(fd, info, WEXITED);
    }
    if (rc != 0) {
      log::error("cannot reap child " + std::to_string(child->pid) + ": " + errnoText(errno));
    }
  }
}

ProcessRunner::RunId ChildProcessRunner::run(std::vector<std::string> argv, Duration timeout,
                                             Done done) {
  const RunId id = nextId_++;
  std::string error;
  const pid_t pid = argv.empty() ? -1 : spawn(argv, error);
  int pidfd = -1;
  if (argv.empty()) {
    error = "empty command";
  } else if (pid > 0) {
    pidfd = pidfdOpen(pid);
    if (pidfd < 0) {
      // Cannot watch it without blocking: do not let it run unobserved.
      error = "cannot watch " + argv[0] + ": pidfd_open: " + errnoText(errno);
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  if (pidfd < 0) {
    // Reported from the io_context, like every other outcome, so callers never re-enter.
    failed_.emplace(id, std::move(done));
    boost::asio::post(io_, [weak = std::weak_ptr(self_), id, error] {
      auto self = weak.lock();
      if (!self) return;
      auto it = (*self)->failed_.find(id);
      if (it == (*self)->failed_.end()) return;  // cancelled
      Done callback = std::move(it->second);
      (*self)->failed_.erase(it);
      ExitStatus status;
      status.error = error;
      if (callback) callback(status);
    });
    return id;
  }

  auto child = std::make_unique<Child>(io_, pidfd);
  child->pid = pid;
  child->done = std::move(done);
  child->timeout = timeout;
  Child& added = *children_.emplace(id, std::move(child)).first->second;
  if (timeout > Duration::zero()) armTimer(id, added, timeout, &ChildProcessRunner::onTimeout);
  watch(id);
  return id;
}

void ChildProcessRunner::watch(RunId id) {
  children_.at(id)->exitWatch.async_wait(
      boost::asio::posix::descriptor_base::wait_read,
      [weak = std::weak_ptr(self_), id](boost::system::error_code ec) {
        auto self = weak.lock();
        if (!self || ec == boost::asio::error::operation_aborted) return;
        if (ec) {
          // Never expected (a pidfd is always pollable). Do not spin: end the child and reap it.
          log::error("child process watch failed: " + ec.message());
          auto it = (*self)->children_.find(id);
          if (it != (*self)->children_.end()) ::kill(-it->second->pid, SIGKILL);
        }
        (*self)->onExit(id);
      });
}

void ChildProcessRunner::onExit(RunId id) {
  auto it = children_.find(id);
  if (it == children_.end() || it->second->exited) return;
  Child& child = *it->second;
  siginfo_t info;
  // WNOWAIT: read the status but leave the leader a zombie, so its pid (the group id) stays ours
  // until the group has had its SIGTERM and SIGKILL.
  const int rc = waitPidfd(child.pidfd(), info, WEXITED | WNOHANG | WNOWAIT);
  if (rc == 0 && info.si_pid == 0) {
    watch(id);  // spurious wake-up: still running
    return;
  }
  ExitStatus status;
  status.started = true;
  status.timedOut = child.timedOut;
  status.timeout = child.timeout;
  if (rc != 0) {
    // ECHILD: someone else reaped it (a waitpid(-1) elsewhere breaks our contract). Its pid may
    // be anyone's by now: signal nothing more.
    status.signal = SIGKILL;
    log::error("child " + std::to_string(child.pid) + " lost: " + errnoText(errno));
    child.termSent = child.killSent = true;
  } else if (info.si_code == CLD_EXITED) {
    status.exitCode = info.si_status;
  } else {
    status.signal = info.si_status;  // CLD_KILLED or CLD_DUMPED
  }
  child.exited = true;
  child.exitWatch.close();  // the pid is enough to reap a zombie; fds are scarcer than pids
  Done done = std::move(child.done);
  child.done = nullptr;
  if (child.killSent) {
    finish(it);  // SIGKILLed (cancel, killAll, grace over): nothing of the group survives it
  } else if (!child.termSent) {
    ::kill(-child.pid, SIGTERM);
    child.termSent = true;
    armTimer(id, child, grace_, &ChildProcessRunner::onGraceOver);
  }  // else: timed out, SIGTERM already sent and its grace already running
  if (done) done(status);  // last: it may run() or cancel() anything, this id included
}

void ChildProcessRunner::onTimeout(RunId id) {
  auto it = children_.find(id);
  if (it == children_.end() || it->second->exited || it->second->killSent) return;
  Child& child = *it->second;
  siginfo_t info;
  // Exited just now, exit handler not run yet: that is not a timeout.
  if (waitPidfd(child.pidfd(), info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid != 0) return;
  child.timedOut = true;
  // The leader is not reaped until we say so, so its pid (= the pgid) cannot be reused yet.
  ::kill(-child.pid, SIGTERM);
  child.termSent = true;
  armTimer(id, child, grace_, &ChildProcessRunner::onGraceOver);
}

// One timer per run, re-armed from timeout to grace: a handler that was already queued when the
// timer moved on (or was cancelled) finds another arming number and does nothing.
void ChildProcessRunner::armTimer(RunId id, Child& child, Duration after,
                                  void (ChildProcessRunner::*then)(RunId)) {
  const uint64_t armed = ++child.timerArmed;
  child.timer.expires_after(after);
  child.timer.async_wait(
      [weak = std::weak_ptr(self_), id, armed, then](boost::system::error_code ec) {
        auto self = weak.lock();
        if (!self || ec) return;
        auto it = (*self)->children_.find(id);
        if (it != (*self)->children_.end() && it->second->timerArmed == armed) {
          ((*self)->*then)(id);
        }
      });
}

void ChildProcessRunner::onGraceOver(RunId id) {
  auto it = children_.find(id);
  if (it == children_.end()) return;
  ::kill(-it->second->pid, SIGKILL);
  it->second->killSent = true;
  // A leader still running (it ignored SIGTERM after its timeout) is reported by onExit().
  if (it->second->exited) finish(it);
}

// Reaps the exited leader (a zombie: waitid returns at once) and forgets the run.
void ChildProcessRunner::finish(Children::iterator it) {
  siginfo_t info;
  int rc;
  do {
    rc = ::waitid(P_PID, static_cast<id_t>(it->second->pid), &info, WEXITED | WNOHANG);
  } while (rc != 0 && errno == EINTR);
  children_.erase(it);
}

void ChildProcessRunner::cancel(RunId id) {
  failed_.erase(id);
  auto it = children_.find(id);
  if (it == children_.end()) return;
  Child& child = *it->second;
  child.done = nullptr;
  ++child.timerArmed;
  child.timer.cancel();
  ::kill(-child.pid, SIGKILL);
  child.killSent = true;
  if (child.exited) finish(it);
}

void ChildProcessRunner::killAll() {
  for (auto it = children_.begin(); it != children_.end();) {
    auto current = it++;
    Child& child = *current->second;
    ::kill(-child.pid, SIGKILL);
    child.killSent = true;
    if (child.exited) finish(current);
  }
}

size_t ChildProcessRunner::running() const {
  size_t n = 0;
  for (const auto& [id, child] : children_) n += child->exited ? 0 : 1;
  return n;
}

size_t ChildProcessRunner::ending() const { return children_.size() - running(); }

std::unique_ptr<ProcessRunner> makeChildProcessRunner(boost::asio::io_context& io) {
  return std::make_unique<ChildProcessRunner>(io);
}

}  // namespace ha
