#pragma once
// The libbpf calls directord-real shares between tun, toa and status: pinned objects (a pin is
// what keeps a link attached after the command exits; unlinking it detaches), the address maps
// and the per-CPU counters.
#include <cstdint>
#include <string>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"
#include "director/real/real_abi.h"

namespace ha::real {

// BPF_TCX_INGRESS (uapi 6.6; Debian 12's 6.1 header lacks it).
inline constexpr int kTcxIngress = 46;

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd();
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

real_addr_key addressKey(const IpAddress& address);

Result<Fd> openPinned(const std::string& path);
Status pinObject(int fd, const std::string& path);
// Unlinks every pin in `dir`, then the directory; missing is fine.
Status removePinDir(const std::string& dir);

// Makes the map hold exactly `addresses` (value 1): stale keys deleted, the rest updated.
Status syncAddressMap(int mapFd, const std::vector<IpAddress>& addresses);
std::vector<IpAddress> addressMapKeys(int mapFd);

// Sums a BPF_MAP_TYPE_PERCPU_ARRAY of __u64 over the CPUs, entries 0..count-1.
Result<std::vector<uint64_t>> readCounters(int mapFd, uint32_t count);

// The program a link runs, and whether a program is attached at tcx ingress of a device: a
// pinned link survives its device's namespace, detached (the pin alone proves nothing).
Result<uint32_t> linkProgramId(int linkFd);
Result<bool> tcxIngressRuns(uint32_t ifindex, uint32_t programId);

}  // namespace ha::real
