#include "director/real/host.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/bpffs.h"

namespace ha::real {

namespace {

constexpr long kBpfFsMagic = 0xcafe4a11;

std::string errnoText(int err) { return std::strerror(err); }

bool isBpffs(const char* path) {
  struct statfs fs {};
  return ::statfs(path, &fs) == 0 && static_cast<long>(fs.f_type) == kBpfFsMagic;
}

Result<ino_t> inodeOf(const char* path) {
  struct stat st {};
  if (::stat(path, &st) != 0) return Error{std::string(path) + ": " + errnoText(errno)};
  return st.st_ino;
}

}  // namespace

Result<uint64_t> netnsInode() {
  auto ino = inodeOf("/proc/self/ns/net");
  if (!ino) return Error{ino.error()};
  return static_cast<uint64_t>(*ino);
}

std::string netPinDir(uint64_t netns) { return pinRoot() + "/net-" + std::to_string(netns); }
std::string netRunDir(uint64_t netns) {
  return std::string(kRunRoot) + "/net-" + std::to_string(netns);
}

std::string pinRoot() {
  std::string root = visibleBpffs();
  return (root.empty() ? std::string(kBpffs) : root) + "/directord-real";
}

Status ensureBpffs(bool mount) {
  if (isBpffs(kBpffs) || !visibleBpffs().empty()) return okStatus();
  auto self = inodeOf("/proc/self/ns/mnt");
  if (!self) return Error{self.error()};
  auto init = inodeOf("/proc/1/ns/mnt");
  if (init && *self != *init) {
    int fd = ::open("/proc/1/ns/mnt", O_RDONLY | O_CLOEXEC);
    if (fd >= 0 && ::setns(fd, CLONE_NEWNS) == 0) {
      ::close(fd);
      if (isBpffs(kBpffs)) return okStatus();
      self = inodeOf("/proc/self/ns/mnt");
    } else if (fd >= 0) {
      ::close(fd);
    }
  }
  // PID 1's namespace out of reach (no ptrace access to it): our parent's tells whether ours is
  // private; `ip netns exec` execs us in one, so the invoking shell's differs.
  auto parent = inodeOf(("/proc/" + std::to_string(::getppid()) + "/ns/mnt").c_str());
  bool isPrivate =
      (init && self && *self != *init) || (!init && parent && self && *parent != *self);
  if (isPrivate) {
    return Error{
        std::string("no bpffs at ") + kBpffs +
        " in this private mount namespace (ip netns exec?): one mounted now would vanish with "
        "this process, and the pinned programs with it; run under `nsenter --net=/run/netns/NAME`, "
        "or mount bpffs on /sys/fs/bpf in the host's mount namespace first"};
  }
  if (!mount) return okStatus();
  if (::mount("bpf", kBpffs, "bpf", 0, "mode=0700") != 0) {
    return Error{std::string("mount bpffs on ") + kBpffs + ": " + errnoText(errno)};
  }
  return okStatus();
}

Result<std::string> readSysctl(const std::string& path) {
  auto text = readFile("/proc/sys/" + path);
  if (!text) return Error{"sysctl " + path + ": cannot read"};
  while (!text->empty() && (text->back() == '\n' || text->back() == ' ')) text->pop_back();
  return *text;
}

Status writeSysctl(const std::string& path, const std::string& value) {
  std::string full = "/proc/sys/" + path;
  int fd = ::open(full.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return Error{"sysctl " + path + ": " + errnoText(errno)};
  std::string line = value + "\n";
  ssize_t n = ::write(fd, line.data(), line.size());
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(line.size()))
    return Error{"sysctl " + path + "=" + value + ": " + errnoText(err)};
  return okStatus();
}

std::optional<std::string> readFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Status writeFileAtomic(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    out.flush();
    if (!out) return Error{"write " + tmp + ": failed"};
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return Error{"rename " + tmp + ": " + errnoText(errno)};
  return okStatus();
}

Status makeDirs(const std::string& path) {
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i != path.size() && path[i] != '/') continue;
    std::string prefix = path.substr(0, i);
    if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      return Error{"mkdir " + prefix + ": " + errnoText(errno)};
    }
  }
  return okStatus();
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

}  // namespace ha::real
