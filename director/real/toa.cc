#include "director/real/toa.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "bpf/real_toa.skel.h"
#include "director/real/bpf_objects.h"
#include "director/real/host.h"
#include "director/real/real_abi.h"

namespace ha::real {

namespace {

constexpr long kCgroup2Magic = 0x63677270;
constexpr const char* kToaPrefix = "toa-cg-";

struct SkeletonDeleter {
  void operator()(real_toa* skel) const { real_toa__destroy(skel); }
};

struct Cgroup {
  Fd fd;
  uint64_t inode = 0;
};

// A cgroup v2 directory, opened; anything else (a v1 hierarchy, a file, nothing) refused.
Result<Cgroup> openCgroup(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Error{"cgroup " + path + ": " + std::strerror(errno)};
  Cgroup cg{Fd(fd), 0};
  struct statfs fs {};
  if (::fstatfs(fd, &fs) != 0 || static_cast<long>(fs.f_type) != kCgroup2Magic) {
    return Error{"cgroup " + path + ": not a cgroup v2 directory (see /proc/mounts for cgroup2)"};
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Error{"cgroup " + path + ": " + std::strerror(errno)};
  cg.inode = st.st_ino;
  return cg;
}

std::string pinDirOf(uint64_t inode) {
  return pinRoot() + "/" + kToaPrefix + std::to_string(inode);
}
std::string runFileOf(uint64_t inode) {
  return std::string(kRunRoot) + "/" + kToaPrefix + std::to_string(inode);
}

// The cgroup a pinned link is attached to; 0 once the cgroup is gone (the link is defunct).
uint64_t linkCgroupId(const std::string& pin) {
  auto link = openPinned(pin);
  if (!link) return 0;
  bpf_link_info info{};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(link->get(), &info, &len) != 0) return 0;
  return info.cgroup.cgroup_id;
}

}  // namespace

Result<std::string> toaAttach(const std::string& cgroupPath) {
  if (cgroupPath.empty())
    return std::string("toa: no cgroup given (TOA_CGROUP empty): nothing attached");
  auto cg = openCgroup(cgroupPath);
  if (!cg) return Error{cg.error()};
  if (auto st = ensureBpffs(); !st) return Error{st.error()};
  const std::string pinDir = pinDirOf(cg->inode);
  if (linkCgroupId(pinDir + "/sockops_link") == cg->inode) {
    return "toa: already attached to " + cgroupPath;
  }
  (void)removePinDir(pinDir);  // stale: its cgroup was removed and the inode reused
  std::unique_ptr<real_toa, SkeletonDeleter> skel(real_toa__open_and_load());
  if (!skel) return Error{std::string("load the TOA programs: ") + std::strerror(errno)};
  const std::pair<const char*, std::pair<bpf_program*, bpf_attach_type>> programs[] = {
      {"sockops_link", {skel->progs.real_toa_sockops, BPF_CGROUP_SOCK_OPS}},
      {"getpeername4_link", {skel->progs.real_toa_getpeername4, BPF_CGROUP_INET4_GETPEERNAME}},
      {"getpeername6_link", {skel->progs.real_toa_getpeername6, BPF_CGROUP_INET6_GETPEERNAME}},
  };
  std::vector<std::pair<std::string, Fd>> links;
  for (const auto& [name, program] : programs) {
    int fd = bpf_link_create(bpf_program__fd(program.first), cg->fd.get(), program.second, nullptr);
    if (fd < 0)
      return Error{std::string("attach ") + name + " to " + cgroupPath + ": " +
                   std::strerror(errno)};
    links.emplace_back(name, Fd(fd));
  }
  if (auto st = makeDirs(pinDir); !st) return Error{st.error()};
  auto fail = [&](const std::string& why) -> Result<std::string> {
    (void)removePinDir(pinDir);
    return Error{why};
  };
  for (const auto& [name, fd] : links) {
    if (auto st = pinObject(fd.get(), pinDir + "/" + name); !st) return fail(st.error());
  }
  if (auto st = pinObject(bpf_map__fd(skel->maps.real_toa_counters), pinDir + "/real_toa_counters");
      !st) {
    return fail(st.error());
  }
  if (auto st = makeDirs(kRunRoot); !st) return fail(st.error());
  if (auto st = writeFileAtomic(runFileOf(cg->inode), cgroupPath + "\n"); !st)
    return fail(st.error());
  return "toa: attached to " + cgroupPath +
         " (listeners opened from now on see the client address; earlier ones do not)";
}

Result<std::string> toaDetach(const std::string& cgroupPath) {
  if (cgroupPath.empty())
    return std::string("toa: no cgroup given (TOA_CGROUP empty): nothing detached");
  auto cg = openCgroup(cgroupPath);
  if (!cg) return Error{cg.error()};
  if (auto st = ensureBpffs(); !st) return Error{st.error()};
  const std::string pinDir = pinDirOf(cg->inode);
  const std::string runFile = runFileOf(cg->inode);
  if (!exists(pinDir)) {
    ::unlink(runFile.c_str());
    return "toa: not attached to " + cgroupPath + ": nothing to remove";
  }
  if (auto st = removePinDir(pinDir); !st) return Error{st.error()};
  ::unlink(runFile.c_str());
  return "toa: detached from " + cgroupPath;
}

std::vector<ToaAttachment> toaAttachments() {
  std::vector<ToaAttachment> out;
  const std::string root = pinRoot();
  DIR* d = ::opendir(root.c_str());
  if (d == nullptr) return out;
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.rfind(kToaPrefix, 0) == 0) names.push_back(name);
  }
  ::closedir(d);
  for (const auto& name : names) {
    ToaAttachment a;
    a.pinDir = root + "/" + name;
    std::string inode = name.substr(std::strlen(kToaPrefix));
    auto path = readFile(std::string(kRunRoot) + "/" + name);
    a.cgroup = path ? path->substr(0, path->find('\n')) : "?";
    a.attached = std::to_string(linkCgroupId(a.pinDir + "/sockops_link")) == inode;
    if (auto map = openPinned(a.pinDir + "/real_toa_counters")) {
      if (auto counters = readCounters(map->get(), REAL_TOA_COUNTER_MAX)) a.counters = *counters;
    }
    out.push_back(a);
  }
  return out;
}

}  // namespace ha::real
