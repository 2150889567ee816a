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

// posix_spawn: no shell, new process group, /dev/null on 0/1/2, nothing else inherited, default
// signal mask and dispositions. Returns the pid, or -1 with `error` set.
pid_t spawn(const std::vector<std::string>& argv, std::string& error) {
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
  const bool searchPath = argv[0].find('/') == std::string::npos;
  const int rc = searchPath
                     ? posix_spawnp(&pid, argv[0].c_str(), &actions, &attr, args.data(), environ)
                     : posix_spawn(&pid, argv[0].c_str(), &actions, &attr, args.data(), environ);
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

struct ProcessRunner::Child {
  Child(boost::asio::io_context& io, int pidfd) : exitWatch(io, pidfd), timer(io) {}
  int pidfd() { return exitWatch.native_handle(); }

  pid_t pid = -1;  // also the process group id
  boost::asio::posix::stream_descriptor exitWatch;  // owns the pidfd
  boost::asio::steady_timer timer;
  Done done;  // empty once cancelled
  Duration timeout{};
  bool timedOut = false;
};

ProcessRunner::ProcessRunner(boost::asio::io_context& io)
    : io_(io), self_(std::make_shared<ProcessRunner*>(this)) {}

ProcessRunner::~ProcessRunner() {
  self_.reset();
  for (auto& [id, child] : children_) {
    ::kill(-child->pid, SIGKILL);
    // Asio made the pidfd non-blocking, and waitid() on a non-blocking pidfd returns EAGAIN
    // instead of waiting. SIGKILL is prompt: this wait is bounded, and leaves no zombie.
    const int fd = child->pidfd();
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    siginfo_t info;
    if (waitPidfd(fd, info, WEXITED) != 0) {
      log::error("cannot reap child " + std::to_string(child->pid) + ": " + errnoText(errno));
    }
  }
}

ProcessRunner::RunId ProcessRunner::run(std::vector<std::string> argv, Duration timeout,
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
  if (timeout > Duration::zero()) {
    child->timer.expires_after(timeout);
    child->timer.async_wait([weak = std::weak_ptr(self_), id](boost::system::error_code ec) {
      auto self = weak.lock();
      if (self && !ec) (*self)->onTimeout(id);
    });
  }
  children_.emplace(id, std::move(child));
  watch(id);
  return id;
}

void ProcessRunner::watch(RunId id) {
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

void ProcessRunner::onExit(RunId id) {
  auto it = children_.find(id);
  if (it == children_.end()) return;
  Child& child = *it->second;
  siginfo_t info;
  const int rc = waitPidfd(child.pidfd(), info, WEXITED | WNOHANG);
  if (rc == 0 && info.si_pid == 0) {
    watch(id);  // spurious wake-up: still running
    return;
  }
  ExitStatus status;
  status.started = true;
  status.timedOut = child.timedOut;
  status.timeout = child.timeout;
  if (rc != 0) {
    // ECHILD: someone else reaped it (a waitpid(-1) elsewhere breaks our contract).
    status.signal = SIGKILL;
    log::error("child " + std::to_string(child.pid) + " lost: " + errnoText(errno));
  } else if (info.si_code == CLD_EXITED) {
    status.exitCode = info.si_status;
  } else {
    status.signal = info.si_status;  // CLD_KILLED or CLD_DUMPED
  }
  Done done = std::move(child.done);
  children_.erase(it);  // closes the pidfd, cancels the timer
  if (done) done(status);
}

void ProcessRunner::onTimeout(RunId id) {
  auto it = children_.find(id);
  if (it == children_.end()) return;
  Child& child = *it->second;
  siginfo_t info;
  // Exited just now, exit handler not run yet: that is not a timeout.
  if (waitPidfd(child.pidfd(), info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid != 0) return;
  child.timedOut = true;
  // The leader is not reaped until we say so, so its pid (= the pgid) cannot be reused yet.
  ::kill(-child.pid, SIGKILL);
}

void ProcessRunner::cancel(RunId id) {
  failed_.erase(id);
  auto it = children_.find(id);
  if (it == children_.end()) return;
  it->second->done = nullptr;
  it->second->timer.cancel();
  ::kill(-it->second->pid, SIGKILL);
}

void ProcessRunner::killAll() {
  for (auto& [id, child] : children_) ::kill(-child->pid, SIGKILL);
}

size_t ProcessRunner::running() const { return children_.size(); }

}  // namespace ha
