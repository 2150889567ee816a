#pragma once
// The eBPF datapath in the kernel, through libbpf: the director program (built into directord
// as a skeleton, or read from a file), its maps, and one tcx ingress link per device.
//
// Links are pinned under pinDir (one directory per network namespace), so a crashed or
// restarting directord leaves forwarding in place; the next one loads its own program, fills its
// maps, then swaps the program under each pinned link (bpf_link_update: no packet sees a
// detached device). Pins it does not want any more are removed.
#include <memory>
#include <string>

#include "director/bpf/datapath_port.h"

struct bpf_object;

namespace ha::director::bpf {

struct DatapathOptions {
  std::string pinDir;  // empty: no pins, the links die with the process (nftables_owner process)
  std::string objectPath;  // empty: the program built into directord
};

class LibbpfDatapath final : public DatapathPort {
 public:
  explicit LibbpfDatapath(DatapathOptions options);
  ~LibbpfDatapath() override;
  LibbpfDatapath(const LibbpfDatapath&) = delete;
  LibbpfDatapath& operator=(const LibbpfDatapath&) = delete;

  Status apply(const DatapathEntries& desired) override;
  Status prepare() override { return object_ != nullptr ? okStatus() : load(); }
  Result<DatapathCounters> counters() override;
  void removeAll() override;

 private:
  struct Link {
    uint32_t ifindex = 0;
    int fd = -1;
    std::string pin;  // empty: not pinned
  };
  Status load();
  Status write(const MapWrite& w);
  Status attach(const std::string& device, uint32_t ifindex);
  void detach(const std::string& device);
  void sweepStalePins();
  std::string pinPath(uint32_t ifindex) const;

  DatapathOptions options_;
  bpf_object* object_ = nullptr;
  int programFd_ = -1;
  std::map<std::string, int> mapFds_;
  std::map<std::string, Link> links_;  // by device name
  DatapathEntries installed_;
  bool swept_ = false;
};

// /sys/fs/bpf/directord/net-<inode>: mounts bpffs on /sys/fs/bpf first if nothing is mounted there.
Result<std::string> preparePinDir(uint64_t netnsInode);

}  // namespace ha::director::bpf
