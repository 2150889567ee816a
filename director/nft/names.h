#pragma once
// Every name the kernel sees, in one place (docs/style.md §2). `nft list table inet directord`
// shows them.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/flow_mark.h"

namespace ha::director::nft {

inline constexpr std::string_view kTableName = "directord";

// Base chains of `table inet directord`: static for the life of the process.
inline constexpr std::string_view kPreroutingChain =
    "prerouting";  // nat dstnat: services -> svc_<id>
inline constexpr std::string_view kPostroutingChain =
    "postrouting";                                    // nat srcnat: FULLNAT -> laddr_<gid>
inline constexpr int32_t kPreroutingPriority = -100;  // NF_IP_PRI_NAT_DST
inline constexpr int32_t kPostroutingPriority = 100;  // NF_IP_PRI_NAT_SRC
// DR picks the real before the stack sees the packet, ahead of anything else on ingress.
inline constexpr int32_t kIngressPriority = -500;

// Maps and sets of `table inet directord`; byFamily() appends 4 or 6 (the key's address family).
inline constexpr std::string_view kServices =
    "services";  // l4proto . vip . vport : goto dnat<class> | drop
inline constexpr std::string_view kMarks =
    "marks";  // l4proto . vip . vport : ct mark of the service
inline constexpr std::string_view kBackends = "backends";  // mark . slot : real . port
inline constexpr std::string_view kPersist = "persist";    // client . mark : real . port (timeouts)
inline constexpr std::string_view kLaddrs = "laddrs";      // gid . slot : local address
inline constexpr std::string_view kFullnat = "fullnat";    // mark : goto laddr_<gid>
// fwmark services (IPVS -f): the packet's mark (meta mark, set by the operator's own rules before
// kPreroutingPriority) selects the service; looked up before the address map, as IPVS does.
inline constexpr std::string_view kFwmarks =
    "fwmarks";  // l4proto . mark : goto dnat<class>_fwm | drop
inline constexpr std::string_view kFwmarkMarks = "fwmark_marks";  // mark : ct mark of the service
// ops (one-packet scheduling, UDP NAT): only while some ops service exists. Stateless: no
// conntrack.
inline constexpr std::string_view kOpsRawChain =
    "ops_raw";  // filter prerouting, raw: dnat + notrack
inline constexpr std::string_view kOpsForwardChain =
    "ops_forward";                             // filter forward: replies' source -> VIP
inline constexpr int32_t kRawPriority = -300;  // NF_IP_PRI_RAW: before conntrack
inline constexpr int32_t kForwardPriority = 0;
inline constexpr std::string_view kOpsServices =
    "ops_services";  // l4proto . vip . vport : goto ops<class>
inline constexpr std::string_view kOpsReplies =
    "ops_replies";  // l4proto . real . rport : vip . vport

// `table netdev directord` (DR): fwd exists only in the netdev family. IPv4 only for now.
inline constexpr std::string_view kDrServices4 =
    "dr_services4";  // l4proto . vip . vport : goto dr_hash<N> | drop
inline constexpr std::string_view kDrBackends4 =
    "dr_backends4";  // l4proto . vip . vport . slot : real . ifindex
inline constexpr std::string_view kDrStats4 = "dr_stats4";  // l4proto . vip . vport . slot, counter

// `ct helper ftp { type "ftp" protocol tcp; l3proto inet; }`: exists while a service uses it.
inline constexpr std::string_view kFtpHelper = "ftp";

inline std::string byFamily(std::string_view base, bool v6) {
  return std::string(base) + (v6 ? "6" : "4");
}

// Connection marks (common/flow_mark.h): the rules set them, so the writer's names include them.
using ::ha::kMarkTag;
using ::ha::kMarkTagMask;
using ::ha::kMaxServiceId;
using ::ha::serviceMark;

// ct timeout objects of class chain CHAIN (lvs_timeouts): CHAIN_tcp, CHAIN_udp.
inline std::string ctTimeoutName(std::string_view chain, bool tcp) {
  return std::string(chain) + (tcp ? "_tcp" : "_udp");
}
inline std::string laddrChain(uint32_t groupId) { return "laddr_" + std::to_string(groupId); }
inline std::string drClassChain(uint32_t modulus, bool hashPort) {
  return "dr_hash" + std::to_string(modulus) + (hashPort ? "_port" : "");
}
inline std::string drIngressChain(std::string_view device) {
  return "ingress_" + std::string(device);
}

}  // namespace ha::director::nft
