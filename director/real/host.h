#pragma once
// The host facts directord-real reads and writes outside BPF and rtnetlink: the network
// namespace's identity, its sysctls, small state files, and the bpffs it pins into.
#include <cstdint>
#include <optional>
#include <string>

#include "common/result.h"

namespace ha::real {

// Pins live in /sys/fs/bpf/directord-real/net-<netns inode> (TUN) and .../toa-cg-<cgroup inode>
// (TOA); state files in /run/directord-real/net-<netns inode>/. An inode names a namespace
// uniquely while it lives, so two namespaces never share a directory.
inline constexpr const char* kBpffs = "/sys/fs/bpf";
// <the bpffs this process sees (common/bpffs.h), else /sys/fs/bpf>/directord-real
std::string pinRoot();
inline constexpr const char* kRunRoot = "/run/directord-real";

Result<uint64_t> netnsInode();
std::string netPinDir(uint64_t netns);
std::string netRunDir(uint64_t netns);

// Makes /sys/fs/bpf a bpffs that outlives this process. `ip netns exec` gives each command a
// private mount namespace with a fresh /sys where a bpffs mounted by us would vanish with us
// (and with it every pinned link): there we join PID 1's mount namespace first, where the
// mount is shared (the network namespace stays ours), or refuse if PID 1's is out of reach.
// mount false (status): only join; a missing bpffs then means nothing is pinned.
Status ensureBpffs(bool mount = true);

// /proc/sys/<path>; the value without its newline.
Result<std::string> readSysctl(const std::string& path);
Status writeSysctl(const std::string& path, const std::string& value);

std::optional<std::string> readFile(const std::string& path);
// Written to a temporary name and renamed, so a reader never sees half a file.
Status writeFileAtomic(const std::string& path, const std::string& text);
Status makeDirs(const std::string& path);
bool exists(const std::string& path);

}  // namespace ha::real
