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
  const char* standard = "/sys/fs/bpf";
  struct statfs fs {};
  if (statfs(standard, &fs) == 0 && static_cast<uint32_t>(fs.f_type) == kBpfFsMagic)
    return standard;
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::string line;
  while (std::getline(mountinfo, line)) {
    std::istringstream in(line);
    std::vector<std::string> f;
    for (std::string word; in >> word;) f.push_back(word);
    // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
    auto dash = std::find(f.begin(), f.end(), "-");
    if (f.size() > 4 && dash != f.end() && dash + 1 != f.end() && *(dash + 1) == "bpf") return f[4];
  }
  return {};
}

}  // namespace ha
