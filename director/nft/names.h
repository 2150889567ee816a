#pragma once
// Every name the kernel sees, in one place (STYLE.md §2). `nft list table inet directord` shows them.
#include <cstdint>
#include <string>
#include <string_view>

namespace ha::director::nft {

inline constexpr std::string_view kTableName = "directord";

// Base chains of `table inet directord`: static for the life of the process.
inline constexpr std::string_view kPrerouting = "prerouting";    // nat dstnat: services -> svc_<id>
inline constexpr std::string_view kPostrouting = "postrouting";  // nat srcnat: FULLNAT -> laddr_<gid>
inline constexpr std::string_view kForward = "forward";          // filter: per-real counters
inline constexpr int32_t kPreroutingPriority = -100;   // NF_IP_PRI_NAT_DST
inline constexpr int32_t kPostroutingPriority = 100;   // NF_IP_PRI_NAT_SRC
inline constexpr int32_t kForwardPriority = 0;         // NF_IP_PRI_FILTER
// DR picks the real before the stack sees the packet, ahead of anything else on ingress.
inline constexpr int32_t kIngressPriority = -500;

// Maps of `table inet directord`. The 4/6 suffix is the address family of the key.
inline constexpr std::string_view kServices4 = "services4";  // l4proto . vip . vport : goto svc_<id>
inline constexpr std::string_view kServices6 = "services6";
inline constexpr std::string_view kBackends4 = "backends4";  // mark . slot : real . port
inline constexpr std::string_view kBackends6 = "backends6";
inline constexpr std::string_view kPersist4 = "persist4";    // client . mark : real . port (timeouts)
inline constexpr std::string_view kPersist6 = "persist6";
inline constexpr std::string_view kFullnat = "fullnat";      // mark : goto laddr_<gid>
inline constexpr std::string_view kLaddrs4 = "laddrs4";      // gid . slot : local address
inline constexpr std::string_view kLaddrs6 = "laddrs6";
inline constexpr std::string_view kStats4 = "stats4";        // mark . dir . real . port, counter
inline constexpr std::string_view kStats6 = "stats6";
inline constexpr std::string_view kConns4 = "conns4";        // mark . real . port, counter of new flows
inline constexpr std::string_view kConns6 = "conns6";

// `table netdev directord` (DR): fwd only exists in the netdev family.
inline constexpr std::string_view kDrServices4 = "dr_services4";  // l4proto . vip . vport : goto
inline constexpr std::string_view kDrBackends4 = "dr_backends4";  // mark . slot : ifindex . real
inline constexpr std::string_view kDrStats4 = "dr_stats4";        // mark . real, counter

// Connection marks: the top byte tags a flow as ours (sync filters on it), the rest is the
// service id. Operators sharing ct mark with other rules must keep the top byte 0xd1 free.
inline constexpr uint32_t kMarkTag = 0xd1000000;
inline constexpr uint32_t kMarkTagMask = 0xff000000;
inline constexpr uint32_t kMaxServiceId = 0x00ffffff;
constexpr uint32_t serviceMark(uint32_t serviceId) { return kMarkTag | serviceId; }

inline std::string serviceChain(uint32_t serviceId) { return "svc_" + std::to_string(serviceId); }
inline std::string drServiceChain(uint32_t serviceId) { return "dr_svc_" + std::to_string(serviceId); }
inline std::string laddrChain(uint32_t groupId) { return "laddr_" + std::to_string(groupId); }
inline std::string drIngressChain(std::string_view device) { return "ingress_" + std::string(device); }

}  // namespace ha::director::nft
