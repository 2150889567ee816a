#pragma once
// This node's own conntrack timeouts, the ceiling for a peer's remaining timeout: a copy taught by
// a peer never outlives what our kernel would give the same flow in the same state (a peer asked
// for 7 days on an entry whose established timeout here is 5). Pure, but for readTimeoutLimits().
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "common/conntrack/flow.h"

namespace ha::conntrack {

struct TimeoutLimits {
  // Seconds by enum tcp_conntrack (index 0, NONE, is unused: see timeoutCeiling()).
  std::array<uint32_t, kTcpStateMax + 1> tcp{};
  uint32_t udp = 0;        // nf_conntrack_udp_timeout: a flow that has not been answered
  uint32_t udpStream = 0;  // nf_conntrack_udp_timeout_stream: answered (seen reply / assured)
  auto operator<=>(const TimeoutLimits&) const = default;
};

// The kernel's defaults (nf_conntrack_proto_tcp.c tcp_timeouts[], nf_conntrack_proto_udp.c).
TimeoutLimits kernelDefaultTimeouts();

// The most a peer's entry may keep here. A TCP entry whose state was not reported (0) is held to
// the longest TCP timeout, since the state the kernel keeps for it is not known here.
uint32_t timeoutCeiling(const TimeoutLimits& limits, const FlowEntry& entry);

// Lowers entry.timeoutSeconds to timeoutCeiling(); true when it did. 0 ("not reported") stays.
bool clampTimeout(const TimeoutLimits& limits, FlowEntry& entry);

// Reads net.netfilter.nf_conntrack_{tcp_timeout_*,udp_timeout,udp_timeout_stream} from `dir`
// (/proc/sys/net/netfilter: the reading thread's network namespace). A file that is missing or
// does not hold a number keeps the kernel default and is named in `problems`.
TimeoutLimits readTimeoutLimits(const std::string& dir, std::vector<std::string>& problems);

}  // namespace ha::conntrack
