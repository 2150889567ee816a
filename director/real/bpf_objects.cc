#include "director/real/bpf_objects.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ha::real {

namespace {

std::string errnoText(int err) { return std::strerror(err < 0 ? -err : err); }

IpAddress addressOfKey(const real_addr_key& key) {
  return IpAddress::fromBytes(key.family == AF_INET ? Family::kV4 : Family::kV6, key.addr);
}

}  // namespace

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

real_addr_key addressKey(const IpAddress& address) {
  real_addr_key key{};
  key.family = address.isV4() ? AF_INET : AF_INET6;
  std::memcpy(key.addr, address.bytes(), address.size());
  return key;
}

Result<Fd> openPinned(const std::string& path) {
  int fd = bpf_obj_get(path.c_str());
  if (fd < 0) return Error{path + ": " + errnoText(errno)};
  return Fd(fd);
}

Status pinObject(int fd, const std::string& path) {
  if (bpf_obj_pin(fd, path.c_str()) != 0) return Error{"pin " + path + ": " + errnoText(errno)};
  return okStatus();
}

Status removePinDir(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr)
    return errno == ENOENT ? okStatus() : Status{Error{dir + ": " + errnoText(errno)}};
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(d);
  std::string failures;
  for (const auto& name : names) {
    std::string path = dir + "/" + name;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      failures += " " + path + ": " + errnoText(errno);
  }
  if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) failures += " " + dir + ": " + errnoText(errno);
  if (!failures.empty()) return Error{"remove pins:" + failures};
  return okStatus();
}

std::vector<IpAddress> addressMapKeys(int mapFd) {
  std::vector<IpAddress> out;
  real_addr_key key{};
  real_addr_key next{};
  const void* previous = nullptr;
  // Bounded by the map's capacity: a map cannot list more keys than it holds.
  for (int i = 0; i < REAL_MAX_VIPS + REAL_MAX_DIRECTORS; ++i) {
    if (bpf_map_get_next_key(mapFd, previous, &next) != 0) break;
    out.push_back(addressOfKey(next));
    key = next;
    previous = &key;
  }
  return out;
}

Status syncAddressMap(int mapFd, const std::vector<IpAddress>& addresses) {
  for (const auto& stale : addressMapKeys(mapFd)) {
    if (std::find(addresses.begin(), addresses.end(), stale) != addresses.end()) continue;
    real_addr_key key = addressKey(stale);
    if (bpf_map_delete_elem(mapFd, &key) != 0 && errno != ENOENT) {
      return Error{"map delete " + stale.str() + ": " + errnoText(errno)};
    }
  }
  for (const auto& address : addresses) {
    real_addr_key key = addressKey(address);
    uint8_t one = 1;
    if (bpf_map_update_elem(mapFd, &key, &one, BPF_ANY) != 0) {
      return Error{"map update " + address.str() + ": " + errnoText(errno)};
    }
  }
  return okStatus();
}

Result<std::vector<uint64_t>> readCounters(int mapFd, uint32_t count) {
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return Error{"cannot count the possible CPUs"};
  std::vector<uint64_t> perCpu(static_cast<size_t>(cpus));
  std::vector<uint64_t> sums(count, 0);
  for (uint32_t i = 0; i < count; ++i) {
    if (bpf_map_lookup_elem(mapFd, &i, perCpu.data()) != 0) {
      return Error{"read counter " + std::to_string(i) + ": " + errnoText(errno)};
    }
    for (uint64_t v : perCpu) sums[i] += v;
  }
  return sums;
}

Result<uint32_t> linkProgramId(int linkFd) {
  bpf_link_info info{};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(linkFd, &info, &len) != 0)
    return Error{"link info: " + errnoText(errno)};
  return info.prog_id;
}

Result<bool> tcxIngressRuns(uint32_t ifindex, uint32_t programId) {
  uint32_t ids[64] = {};
  uint32_t count = 64;
  uint32_t flags = 0;
  // For tcx the query's target is the ifindex (the same field as target_fd).
  if (bpf_prog_query(static_cast<int>(ifindex), static_cast<bpf_attach_type>(kTcxIngress), 0,
                     &flags, ids, &count) != 0) {
    return Error{"query tcx ingress of ifindex " + std::to_string(ifindex) + ": " +
                 errnoText(errno)};
  }
  return std::find(ids, ids + std::min<uint32_t>(count, 64), programId) !=
         ids + std::min<uint32_t>(count, 64);
}

}  // namespace ha::real
