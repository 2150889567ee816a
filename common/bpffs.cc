#include "common/bpffs.h"

#include <sys/statfs.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <vector>

namespace ha {
namespace {
constexpr uint32_t kBpfFsMagic = 0xcafe4a11;  // BPF_FS_MAGIC, include/uapi/linux/magic.h
}

std::string visibleBpffs() {
  // A bpffs mounted outside /sys first: it is the one both a process in the host's mount
  // namespace and one under `ip netns exec` (fresh /sys) see, so their pins meet.
  std::string underSys;
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line;
  while (std::getline(mountinfo, line)) {
    std::istringstream in(line);
    std::vector<std::string> f;
    for (std::string word; in >> word;) f.push_back(word);
    // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
    auto dash = std::find(f.begin(), f.end(), "-");
    if (f.size() <= 4 || dash == f.end() || dash + 1 == f.end() || *(dash + 1) != "bpf") continue;
    if (f[4].rfind("/sys/", 0) != 0) return f[4];
    if (underSys.empty()) underSys = f[4];
  }
  const char* standard = "/sys/fs/bpf";
  struct statfs fs {};
  if (statfs(standard, &fs) == 0 && static_cast<uint32_t>(fs.f_type) == kBpfFsMagic)
    return standard;
  return underSys;
}

}  // namespace ha
