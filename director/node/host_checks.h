#pragma once
// Host prerequisites checked at start (README "Host prerequisites"): sysctls that directord needs
// but does not set itself, because they are the host's policy. Each problem is a warning naming
// the fix (`sysctl -w ...`); none stops the start. Pure: the config and the values read in, lines
// out; readSysctls() is the thin reader of /proc/sys.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "director/config/config_model.h"

namespace ha::director {

// sysctl path under /proc/sys ("net/ipv4/ip_forward", "net/ipv4/conf/eth0.100/rp_filter": an
// interface name may hold dots) -> its value as read (trimmed); absent: not readable (e.g.
// nf_conntrack not loaded yet: its checks are skipped).
using SysctlValues = std::map<std::string, std::string>;

// The sysctls hostWarnings() looks at for this config.
std::vector<std::string> wantedSysctls(const Config& config);

// Thresholds, with their reasons in host_checks.cc.
inline constexpr uint64_t kConntrackFloor = 65536;
inline constexpr uint64_t kConntrackPerReal = 1024;
inline constexpr uint64_t kIpvsEstablishedTimeoutSec = 900;

std::vector<std::string> hostWarnings(const Config& config, const SysctlValues& values);

// Reads each path under `root`; unreadable ones are left out.
SysctlValues readSysctls(const std::vector<std::string>& names,
                         const std::string& root = "/proc/sys");

}  // namespace ha::director
