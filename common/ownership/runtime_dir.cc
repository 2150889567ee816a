#include "common/ownership/runtime_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <utility>

#include "common/log.h"

namespace ha {
namespace {

constexpr size_t kMaxStateBytes = 16 << 20;  // far above any real ledger; garbage stops here
constexpr size_t kMaxInfoBytes = 4096;
constexpr int kLockAttempts = 5;

std::string errnoText(int e) { return std::strerror(e); }

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

Status makeDir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) == 0 || errno == EEXIST) return okStatus();
  return Error{"mkdir " + path + ": " + errnoText(errno)};
}

Status writeAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error{"write " + path + ": " + errnoText(errno)};
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return okStatus();
}

Result<std::string> readAll(int fd, size_t limit, const std::string& path) {
  std::string text;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error{"read " + path + ": " + errnoText(errno)};
    }
    if (n == 0) return text;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > limit) return Error{path + " is larger than " + std::to_string(limit) + " bytes"};
  }
}

// Keeps a value on one line of the lock file.
std::string oneLine(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = '?';
  }
  return s;
}

}  // namespace

Result<NetnsIdentity> currentNetns() {
  NetnsIdentity id;
  struct stat st {};
  if (::stat("/proc/self/ns/net", &st) != 0) return Error{"/proc/self/ns/net: " + errnoText(errno)};
  id.inode = st.st_ino;
  Fd sock(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  uint64_t cookie = 0;
  socklen_t len = sizeof cookie;
  if (sock.get() >= 0 && ::getsockopt(sock.get(), SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) == 0) {
    id.cookie = cookie;
  }
  Fd boot(::open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC));
  if (boot.get() >= 0) {
    if (auto text = readAll(boot.get(), 64, "boot_id")) {
      id.bootId = *text;
      while (!id.bootId.empty() && (id.bootId.back() == '\n' || id.bootId.back() == ' ')) id.bootId.pop_back();
    }
  }
  return id;
}

std::string runtimeDirFor(const std::string& base, const NetnsIdentity& netns) {
  return base + "/net-" + std::to_string(netns.inode);
}

std::string encodeInstanceInfo(const InstanceInfo& info) {
  return "pid " + std::to_string(info.pid) + "\nconfig " + oneLine(info.configPath) + "\nadmin-socket " +
         oneLine(info.adminSocket) + "\nstarted " + oneLine(info.started) + "\n";
}

std::optional<InstanceInfo> decodeInstanceInfo(std::string_view text) {
  InstanceInfo info;
  bool pid = false;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    size_t space = line.find(' ');
    if (space == std::string_view::npos) continue;
    std::string_view key = line.substr(0, space), value = line.substr(space + 1);
    if (key == "pid") {
      try {
        size_t used = 0;
        info.pid = std::stoll(std::string(value), &used);
        pid = used == value.size() && info.pid > 0;
      } catch (const std::exception&) {
        return std::nullopt;
      }
    } else if (key == "config") {
      info.configPath = std::string(value);
    } else if (key == "admin-socket") {
      info.adminSocket = std::string(value);
    } else if (key == "started") {
      info.started = std::string(value);
    }
  }
  if (!pid) return std::nullopt;
  return info;
}

std::string describeInstance(const InstanceInfo& info) {
  return "pid " + std::to_string(info.pid) + ", config " + info.configPath + ", admin socket " +
         info.adminSocket + ", started " + info.started;
}

std::string utcNow() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

InstanceLock::Outcome InstanceLock::acquire(const std::string& dir, const InstanceInfo& me) {
  Outcome out;
  const std::string path = dir + "/lock";
  if (auto parent = std::filesystem::path(dir).parent_path(); !parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      out.message = "mkdir " + parent.string() + ": " + ec.message();
      return out;
    }
  }
  for (int attempt = 0; attempt < kLockAttempts; ++attempt) {
    if (auto st = makeDir(dir, 0700); !st) {
      out.message = st.error();
      return out;
    }
    Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (fd.get() < 0) {
      if (errno == ENOENT) continue;  // a stopping holder removed the directory meanwhile
      out.message = "open " + path + ": " + errnoText(errno);
      return out;
    }
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK) {
        out.message = "lock " + path + ": " + errnoText(errno);
        return out;
      }
      out.heldByAnother = true;
      auto text = readAll(fd.get(), kMaxInfoBytes, path);
      auto holder = text ? decodeInstanceInfo(*text) : std::nullopt;
      out.message = holder ? describeInstance(*holder) : "a process that has not described itself yet (" + path + ")";
      return out;
    }
    // A holder that stops unlinks the file before it lets go: a lock on an unlinked inode is no lock.
    struct stat held {}, named {};
    if (::fstat(fd.get(), &held) != 0 || ::stat(path.c_str(), &named) != 0 || held.st_ino != named.st_ino ||
        held.st_dev != named.st_dev) {
      continue;
    }
    std::string info = encodeInstanceInfo(me);
    if (::ftruncate(fd.get(), 0) != 0) {
      out.message = "truncate " + path + ": " + errnoText(errno);
      return out;
    }
    if (auto st = writeAll(fd.get(), info, path); !st) {
      out.message = st.error();
      return out;
    }
    out.lock.reset(new InstanceLock(dir, fd.release()));
    return out;
  }
  out.message = "lock " + path + ": the file kept changing under us";
  return out;
}

InstanceLock::~InstanceLock() {
  const std::string path = dir_ + "/lock";
  struct stat held {}, named {};
  if (::fstat(fd_, &held) == 0 && ::stat(path.c_str(), &named) == 0 && held.st_ino == named.st_ino &&
      held.st_dev == named.st_dev) {
    ::unlink(path.c_str());
  }
  ::rmdir(dir_.c_str());  // fails, harmlessly, while anything else (state.corrupt) is in it
  ::close(fd_);
}

Result<std::optional<Ledger>> StateFile::load() const {
  const std::string p = path();
  Fd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::optional<Ledger>{};
    return Error{"open " + p + ": " + errnoText(errno)};
  }
  auto text = readAll(fd.get(), kMaxStateBytes, p);
  if (!text) return Error{text.error()};
  if (endsTorn(*text)) log::warning(p + ": the last line is torn (an append cut short by a kill); dropped");
  auto ledger = decodeLedger(*text);
  if (!ledger) return Error{p + ": " + ledger.error()};
  return std::optional<Ledger>{std::move(ledger.value())};
}

Status StateFile::setAside() const {
  if (::rename(path().c_str(), asidePath().c_str()) != 0 && errno != ENOENT) {
    return Error{"rename " + path() + " to " + asidePath() + ": " + errnoText(errno)};
  }
  return okStatus();
}

Status StateFile::save(const Ledger& ledger) {
  const std::string tmp = path() + ".tmp";
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (fd.get() < 0) return Error{"open " + tmp + ": " + errnoText(errno)};
    if (auto st = writeAll(fd.get(), encodeLedger(ledger), tmp); !st) return st;
  }
  if (::rename(tmp.c_str(), path().c_str()) != 0) return Error{"rename " + tmp + ": " + errnoText(errno)};
  return okStatus();
}

Status StateFile::append(std::string_view line) {
  Fd fd(::open(path().c_str(), O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) return Error{"open " + path() + ": " + errnoText(errno)};
  return writeAll(fd.get(), line, path());
}

Status StateFile::erase() {
  ::unlink((path() + ".tmp").c_str());
  if (::unlink(path().c_str()) != 0 && errno != ENOENT) return Error{"remove " + path() + ": " + errnoText(errno)};
  return okStatus();
}

Ledger inheritLedger(StateFile& file, const NetnsIdentity& here) {
  Ledger fresh;
  fresh.netnsCookie = here.cookie;
  fresh.bootId = here.bootId;
  auto loaded = file.load();
  if (!loaded) {
    auto aside = file.setAside();
    log::error("state file unreadable, nothing reclaimed from it (" + loaded.error() + "); " +
               (aside ? "kept as " + file.asidePath() : aside.error()) +
               ": addresses or tables a crashed predecessor listed there are left as they are");
    return fresh;
  }
  if (!loaded->has_value()) return fresh;
  Ledger inherited = std::move(**loaded);
  if (!inherited.bootId.empty() && !here.bootId.empty() && inherited.bootId != here.bootId) {
    log::warning("state file " + file.path() + " was written before the last reboot (boot " + inherited.bootId +
                 "): nothing of what it lists survived; nothing to reclaim");
    return fresh;
  }
  if (inherited.netnsCookie != 0 && here.cookie != 0 && inherited.netnsCookie != here.cookie) {
    log::warning("state file " + file.path() + " was written in another network namespace (cookie " +
                 std::to_string(inherited.netnsCookie) + ", this one " + std::to_string(here.cookie) +
                 ") that no longer exists: nothing to reclaim");
    return fresh;
  }
  inherited.netnsCookie = here.cookie;
  inherited.bootId = here.bootId;
  return inherited;
}

}  // namespace ha
