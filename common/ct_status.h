#pragma once
// Values of the kernel's conntrack uapi enums that pure code needs without the kernel headers;
// the netlink adapters static_assert them against <linux/netfilter/nf_conntrack_common.h>.
#include <cstdint>

namespace ha {

inline constexpr uint32_t kIpsSeenReply = 1u << 1;      // IPS_SEEN_REPLY
inline constexpr uint32_t kIpsAssured = 1u << 2;        // IPS_ASSURED
inline constexpr uint8_t kTcpConntrackEstablished = 3;  // TCP_CONNTRACK_ESTABLISHED

}  // namespace ha
