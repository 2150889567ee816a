#pragma once
// `directord-real toa attach|detach --cgroup PATH`: the TOA programs (real_toa.bpf.c) on a
// cgroup v2 directory, so servers in it see FULLNAT's client address in accept() and
// getpeername(). Links pinned in /sys/fs/bpf/directord-real/toa-cg-<cgroup inode>.
#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace ha::real {

Result<std::string> toaAttach(const std::string& cgroup);
Result<std::string> toaDetach(const std::string& cgroup);

struct ToaAttachment {
  std::string pinDir;
  std::string cgroup;              // as given to attach (from the run file), or "?" if lost
  std::vector<uint64_t> counters;  // real_toa_counter order; empty if unreadable
  bool attached = false;           // the sockops link still names its cgroup
};
// Every TOA pin directory (status).
std::vector<ToaAttachment> toaAttachments();

}  // namespace ha::real
