#pragma once
// What `directord-real tun up` changed in a network namespace, so `tun down` undoes exactly that:
// kept as text in /run/directord-real/net-<netns inode>/tun.state. Pure (format and parse).
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"
#include "director/real/real_args.h"

namespace ha::real {

struct SysctlChange {
  std::string path;    // under /proc/sys, e.g. net/ipv4/conf/all/arp_ignore
  std::string before;  // restored by down, if the value is still `after`
  std::string after;
  auto operator<=>(const SysctlChange&) const = default;
};

struct TunState {
  std::string device;
  DecapMode decap = DecapMode::kBpf;
  std::vector<IpAddress> vips;
  std::vector<IpAddress> directors;
  std::vector<IpAddress> addedToLo;   // VIPs this command put on lo; one found there stays on down
  std::vector<SysctlChange> sysctls;  // in the order set; down restores them in reverse
  std::vector<std::string> linksUp;   // tunl0 / ip6tnl0 set up by us (--decap ipip)
  auto operator<=>(const TunState&) const = default;
};

// One "key value..." line per fact, a comment line first.
std::string formatTunState(const TunState& state);
// An error names the line; a state file we cannot read is never half-applied.
Result<TunState> parseTunState(std::string_view text);

}  // namespace ha::real
