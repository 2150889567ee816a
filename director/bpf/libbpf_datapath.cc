#include "director/bpf/libbpf_datapath.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <set>
#include <sstream>
#include <vector>

#include "bpf/director_datapath.skel.h"
#include "common/bpffs.h"
#include "common/log.h"

namespace ha::director::bpf {
namespace {

// uapi 6.1 has no tcx: the kernel's values (include/uapi/linux/bpf.h since 6.6).
constexpr auto kTcxIngress = static_cast<bpf_attach_type>(46);
constexpr const char* kProgram = "dd_ingress";
constexpr const char* kCountersMap = "dd_counters";
constexpr const char* kServiceStatsMap = "dd_service_stats";
constexpr size_t kLogLinesKept = 30;

std::string errnoText(int err) { return std::strerror(err < 0 ? -err : err); }

// libbpf reports through one process-wide print hook: while a load runs, its lines (the
// verifier's log among them) are kept for the error; otherwise warnings go to our log.
std::mutex captureMutex;
std::string* capturing = nullptr;

int libbpfPrint(enum libbpf_print_level level, const char* format, va_list args) {
  char line[1024];
  std::vsnprintf(line, sizeof(line), format, args);
  if (capturing != nullptr) {
    capturing->append(line);
  } else if (level == LIBBPF_WARN) {
    std::string text(line);
    while (!text.empty() && text.back() == '\n') text.pop_back();
    log::warning(text);
  }
  return 0;
}

// The verifier's own words: what libbpf printed between its PROG LOAD LOG markers (the tail,
// where the refusal is), else the last lines it printed.
std::string verifierReason(const std::string& printed) {
  std::string text = printed;
  auto begin = text.find("-- BEGIN PROG LOAD LOG --");
  auto end = text.find("-- END PROG LOAD LOG --");
  if (begin != std::string::npos && end != std::string::npos && end > begin) {
    begin = text.find('\n', begin);
    text = text.substr(begin + 1, end - begin - 1);
  }
  std::vector<std::string> lines;
  size_t at = 0;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    if (nl == std::string::npos) nl = text.size();
    std::string one = text.substr(at, nl - at);
    if (!one.empty() && one.rfind("libbpf: prog '", 0) != 0) lines.push_back(one);
    at = nl + 1;
  }
  if (lines.size() > kLogLinesKept) lines.erase(lines.begin(), lines.end() - kLogLinesKept);
  std::string joined;
  for (const auto& l : lines) joined += (joined.empty() ? "" : "\n  ") + l;
  return joined;
}

}  // namespace

const char* counterName(dd_counter counter) {
  // In enum dd_counter's order (abi.h); a counter added there without a name fails to compile.
  static constexpr const char* kNames[] = {
      "tun_encapsulated", "tun_no_real",      "tun_fragment", "tun_no_route", "tun_too_big",
      "tun_mss_clamped",  "malformed",        "toa_added",    "toa_no_room",  "toa_skipped",
      "toa_forged",       "tun_encap_failed", "tun_icmp_sent"};
  static_assert(std::size(kNames) == DD_COUNTER_MAX);
  auto index = static_cast<size_t>(counter);
  return index < std::size(kNames) ? kNames[index] : "unknown";
}

Result<std::string> preparePinDir(uint64_t netnsInode) {
  std::string root = visibleBpffs();
  if (root.empty()) {
    root = "/sys/fs/bpf";
    if (mount("bpf", root.c_str(), "bpf", 0, "mode=0700") != 0) {
      return Error{"no bpf filesystem mounted and mounting one on /sys/fs/bpf failed: " +
                   errnoText(errno)};
    }
    log::warning(
        "mounted a bpf filesystem on /sys/fs/bpf in this mount namespace: if it is a "
        "private one (ip netns exec), pinned links go with this process");
  }
  std::string dir = root + "/directord/net-" + std::to_string(netnsInode);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error{"cannot create " + dir + ": " + ec.message()};
  chmod(dir.c_str(), 0700);
  return dir;
}

LibbpfDatapath::LibbpfDatapath(DatapathOptions options) : options_(std::move(options)) {}

LibbpfDatapath::~LibbpfDatapath() {
  // Pinned links outlive us on purpose (a crash or restart keeps forwarding); unpinned ones go
  // with their fd.
  for (auto& [device, link] : links_) close(link.fd);
  if (object_ != nullptr) bpf_object__close(object_);
}

Status LibbpfDatapath::load() {
  std::lock_guard<std::mutex> lock(captureMutex);
  libbpf_set_print(libbpfPrint);
  std::string printed;
  capturing = &printed;
  bpf_object_open_opts opts{};  // LIBBPF_OPTS without its C99 compound literal
  opts.sz = sizeof(opts);
  opts.object_name = "director_datapath";
  bpf_object* object = nullptr;
  if (options_.objectPath.empty()) {
    size_t size = 0;
    const void* elf = director_datapath__elf_bytes(&size);
    object = bpf_object__open_mem(elf, size, &opts);
  } else {
    object = bpf_object__open_file(options_.objectPath.c_str(), &opts);
  }
  int err = object == nullptr ? -errno : bpf_object__load(object);
  capturing = nullptr;
  const std::string from =
      options_.objectPath.empty() ? "the built-in program" : options_.objectPath;
  if (object == nullptr)
    return Error{"cannot open the eBPF datapath (" + from + "): " + errnoText(err)};
  if (err != 0) {
    bpf_object__close(object);
    return Error{"the kernel refused the eBPF datapath (" + from + "): " + errnoText(err) +
                 "; the verifier said:\n  " + verifierReason(printed)};
  }
  bpf_program* program = bpf_object__find_program_by_name(object, kProgram);
  std::vector<std::string> missing;
  if (program == nullptr) missing.emplace_back(kProgram);
  std::map<std::string, int> fds;
  for (const char* name : {kServicesMap, kVipsMap, kSlotsMap, kCountersMap, kServiceStatsMap}) {
    bpf_map* map = bpf_object__find_map_by_name(object, name);
    if (map == nullptr) {
      missing.emplace_back(name);
    } else {
      fds[name] = bpf_map__fd(map);
    }
  }
  if (!missing.empty()) {
    bpf_object__close(object);
    std::string names;
    for (const auto& m : missing) names += (names.empty() ? "" : ", ") + m;
    return Error{"the eBPF datapath (" + from + ") lacks " + names};
  }
  object_ = object;
  programFd_ = bpf_program__fd(program);
  mapFds_ = std::move(fds);
  log::info("eBPF datapath loaded (" + from + ")");
  return okStatus();
}

std::string LibbpfDatapath::pinPath(uint32_t ifindex) const {
  if (options_.pinDir.empty()) return {};
  return options_.pinDir + "/tcx-ingress-" + std::to_string(ifindex);
}

Status LibbpfDatapath::write(const MapWrite& w) {
  int fd = mapFds_.at(w.map);
  if (w.value) {
    if (bpf_map_update_elem(fd, w.key.data(), w.value->data(), BPF_ANY) != 0)
      return Error{"writing " + w.map + ": " + errnoText(errno)};
  } else if (bpf_map_delete_elem(fd, w.key.data()) != 0 && errno != ENOENT) {
    return Error{"deleting from " + w.map + ": " + errnoText(errno)};
  }
  return okStatus();
}

Status LibbpfDatapath::attach(const std::string& device, uint32_t ifindex) {
  Link link{ifindex, -1, pinPath(ifindex)};
  // A link an earlier directord pinned: swap our program in under it.
  if (!link.pin.empty()) {
    int pinned = bpf_obj_get(link.pin.c_str());
    if (pinned >= 0) {
      if (bpf_link_update(pinned, programFd_, nullptr) == 0) {
        link.fd = pinned;
        links_[device] = link;
        log::info("eBPF datapath on " + device + ": took over the pinned link " + link.pin);
        return okStatus();
      }
      log::warning("eBPF datapath on " + device + ": the pinned link " + link.pin +
                   " refused our program (" + errnoText(errno) + "); attaching anew");
      close(pinned);
      unlink(link.pin.c_str());
    }
  }
  link.fd = bpf_link_create(programFd_, static_cast<int>(ifindex), kTcxIngress, nullptr);
  if (link.fd < 0) {
    return Error{"attaching the eBPF datapath to " + device +
                 " (tcx ingress): " + errnoText(errno)};
  }
  if (!link.pin.empty() && bpf_obj_pin(link.fd, link.pin.c_str()) != 0) {
    log::warning("eBPF datapath on " + device + ": cannot pin the link at " + link.pin + " (" +
                 errnoText(errno) + "); a restart will interrupt it");
    link.pin.clear();
  }
  links_[device] = link;
  log::info("eBPF datapath attached to " + device + " (tcx ingress)");
  return okStatus();
}

void LibbpfDatapath::detach(const std::string& device) {
  auto it = links_.find(device);
  if (it == links_.end()) return;
  if (!it->second.pin.empty()) unlink(it->second.pin.c_str());
  bpf_link_detach(it->second.fd);
  close(it->second.fd);
  links_.erase(it);
  log::info("eBPF datapath detached from " + device);
}

// Pins of devices this config does not use (an earlier run's, or a device since deleted).
void LibbpfDatapath::sweepStalePins() {
  if (options_.pinDir.empty()) return;
  std::set<std::string> ours;
  for (const auto& [device, link] : links_) ours.insert(link.pin);
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(options_.pinDir, ec)) {
    const std::string path = entry.path().string();
    if (ours.count(path) != 0 || entry.path().filename().string().rfind("tcx-ingress-", 0) != 0)
      continue;
    int fd = bpf_obj_get(path.c_str());
    if (fd >= 0) {
      bpf_link_detach(fd);
      close(fd);
    }
    unlink(path.c_str());
    log::info("eBPF datapath: removed the stale pinned link " + path);
  }
}

Status LibbpfDatapath::apply(const DatapathEntries& desired) {
  if (desired.empty() && object_ == nullptr) {
    if (!std::exchange(swept_, true)) sweepStalePins();
    return okStatus();
  }
  if (object_ == nullptr) {
    if (auto st = load(); !st) return st;
  }
  auto writes = mapWrites(installed_, desired);
  for (const auto& w : writes) {
    if (auto st = write(w); !st) {
      // Put back what was written: the reverse of the writes done, from the state before.
      for (const auto& undo : mapWrites(desired, installed_)) (void)write(undo);
      return st;
    }
  }
  for (const auto& [device, ifindex] : desired.devices) {
    auto it = links_.find(device);
    if (it != links_.end() && it->second.ifindex == ifindex) continue;
    if (it != links_.end()) detach(device);  // the device was recreated under the same name
    if (auto st = attach(device, ifindex); !st) {
      for (const auto& undo : mapWrites(desired, installed_)) (void)write(undo);
      return st;
    }
  }
  std::vector<std::string> unused;
  for (const auto& [device, link] : links_) {
    if (desired.devices.count(device) == 0) unused.push_back(device);
  }
  for (const auto& device : unused) detach(device);
  installed_ = desired;
  if (!std::exchange(swept_, true)) sweepStalePins();
  return okStatus();
}

Result<DatapathCounters> LibbpfDatapath::counters() {
  DatapathCounters out;
  if (object_ == nullptr) return out;
  out.loaded = true;
  for (const auto& [device, link] : links_) out.attached[device] = link.ifindex;
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return Error{"cannot count the CPUs: " + errnoText(cpus)};
  std::vector<uint64_t> perCpu(static_cast<size_t>(cpus));
  for (uint32_t i = 0; i < DD_COUNTER_MAX; ++i) {
    if (bpf_map_lookup_elem(mapFds_.at(kCountersMap), &i, perCpu.data()) != 0)
      return Error{"reading dd_counters: " + errnoText(errno)};
    for (uint64_t v : perCpu) out.counters[i] += v;
  }
  std::vector<dd_service_stats> stats(static_cast<size_t>(cpus));
  int fd = mapFds_.at(kServiceStatsMap);
  uint32_t key = 0;
  uint32_t next = 0;
  bool first = true;
  while (bpf_map_get_next_key(fd, first ? nullptr : &key, &next) == 0) {
    first = false;
    key = next;
    if (bpf_map_lookup_elem(fd, &key, stats.data()) != 0) continue;  // deleted meanwhile
    auto& sum = out.services[key];
    for (const auto& s : stats) {
      sum.packets += s.packets;
      sum.bytes += s.bytes;
    }
  }
  return out;
}

void LibbpfDatapath::removeAll() {
  std::vector<std::string> devices;
  for (const auto& [device, link] : links_) devices.push_back(device);
  for (const auto& device : devices) detach(device);
  if (object_ != nullptr) (void)apply(DatapathEntries{});
  installed_ = {};
}

}  // namespace ha::director::bpf
