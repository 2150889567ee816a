#pragma once
// Typed configuration filled by the keepalived.conf parser. Every element carries where it came
// from, so refusals name `file:line`. Each module owns its own config structs (docs/style.md §4):
// these are the director's, plus vrrp's VrrpConfig and healthcheck's checker structs, which this
// parser fills, and sync's SyncConfig (`connection_sync { ... }`).
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/ip_address.h"
#include "common/netlink/routing_entry.h"
#include "healthcheck/health_config.h"
#include "sync/sync_config.h"
#include "vrrp/vrrp_config.h"

namespace ha::director {

struct SourceLocation {
  std::string file;
  int line = 0;
  std::string str() const { return file + ":" + std::to_string(line); }
  auto operator<=>(const SourceLocation&) const = default;
};

enum class Protocol : uint8_t { kTcp = 6, kUdp = 17 };
enum class ForwardMode : uint8_t { kNat, kFullNat, kDr, kTun };

std::string_view protocolName(Protocol p);      // "TCP" / "UDP"
std::string_view forwardModeName(ForwardMode m); // "NAT" / "FNAT" / "DR" / "TUN"

// A fixed seed so every director with this config hashes a flow to the same real
// (docs/decisions/0008-maglev-with-a-fixed-seed.md).
constexpr uint32_t kDefaultHashSeed = 0x5eed1b5a;

// IPVS_DEF_SCHED: keepalived's scheduler without lb_algo, and ipvsadm's without -s.
inline constexpr std::string_view kDefaultScheduler = "wlc";

struct RealServerConfig {
  SourceLocation where;
  IpAddress address;
  uint16_t port = 0;
  uint32_t weight = 1;  // 0 = drained: keeps its flows, gets no new ones
  // Health checks: every checker must pass; none = always up. Timing is fully resolved by the
  // parser (virtual_server -> real_server -> checker inheritance).
  std::vector<healthcheck::CheckerConfig> checkers;
  std::vector<healthcheck::FileCheckConfig> fileChecks;  // FILE_CHECK, track_file resolved
  bool inhibitOnFailure = false;  // a failed real stays at weight 0 and keeps its flows
  std::string notifyUp;           // notify_up "CMD ARGS"
  std::string notifyDown;         // notify_down "CMD ARGS"
};

// `sorry_server IP PORT`: takes the new flows while the virtual server's quorum is lost (by
// default: while every real is down), as in keepalived.
struct SorryServerConfig {
  SourceLocation where;
  IpAddress address;
  uint16_t port = 0;
  bool inhibit = false;  // sorry_server_inhibit: display only here (we never delete it)
};

// lvs_timeouts tcp T tcpfin T udp T (seconds): keepalived's global_defs keyword, and ours per
// virtual_server. Unset (or 0, as ipvsadm --set reads it) = the level above, then IPVS's defaults.
struct LvsTimeouts {
  std::optional<uint32_t> tcpSec;     // TCP established
  std::optional<uint32_t> tcpFinSec;  // TCP half-closed (after the first FIN)
  std::optional<uint32_t> udpSec;     // UDP, either direction
  bool operator==(const LvsTimeouts&) const = default;
};

struct VirtualServerConfig {
  SourceLocation where;
  IpAddress vip;  // fwmark / group: the family's unspecified address (0.0.0.0 or ::), port 0
  uint16_t port = 0;
  // `virtual_server fwmark N`: the service is chosen by the packet mark the operator's rules set
  // (IPVS's fwmark services), whatever the destination; reals with port 0 keep the packet's port.
  uint32_t fwmark = 0;
  // `virtual_server group NAME`: every address:port and fwmark of virtual_server_group NAME leads
  // to this one service (one set of reals, one checker per real), as keepalived does.
  std::string group;
  Protocol protocol = Protocol::kTcp;
  std::string scheduler{kDefaultScheduler};  // a name in the scheduler registry
  std::set<std::string> schedulerFlags;  // keepalived lb_algo flags: "sh-port", "mh-port"
  uint32_t mhTableSize = 0;  // 0 = kDefaultMaglevTableSize (our extension; sched/maglev.h)
  ForwardMode mode = ForwardMode::kNat;  // keepalived's default lb_kind
  std::optional<uint32_t> persistenceTimeoutSec;
  std::string laddrGroup;                // FULLNAT: name of a local_address_group
  double delayLoopSec = 60;              // delay_loop: inherited by the checkers of its reals
  std::vector<RealServerConfig> reals;
  bool alpha = false;                    // alpha: reals start down until their checks pass
  uint32_t quorum = 1;                   // quorum: minimum live weight
  uint32_t hysteresis = 0;               // hysteresis around quorum
  std::string quorumUp;                  // quorum_up "CMD ARGS"
  std::string quorumDown;                // quorum_down "CMD ARGS"
  std::optional<SorryServerConfig> sorryServer;
  LvsTimeouts lvsTimeouts;  // overrides global_defs' per value
  // persistence_granularity: client affinity keyed on (client address & mask); nullopt = /32
  // (/128). A netmask of the VIP's family (keepalived: dotted IPv4 mask, IPv6 prefix length).
  std::optional<IpAddress> persistenceGranularity;
  bool oneShot = false;  // ops: one-packet scheduling (UDP only)
  // ftp_helper [on|off] (ours; keepalived has none): the kernel's FTP helper follows PORT/PASV so
  // the data connections are NATed too. nullopt: on for TCP port 21, as ip_vs_ftp (ports=21) does.
  std::optional<bool> ftpHelper;
  // client_address toa|none (ours; DPVS's TOA): FULLNAT TCP services tell the real the client's
  // address in a TCP option of the SYN (kind 254, Alibaba's format), added by the eBPF datapath.
  bool clientAddressToa = false;
};

// virtual_server_group NAME { VIP PORT | VIP-RANGE PORT | fwmark N [inet|inet6] ... }, ranges
// checked (last octet / last IPv6 group, as keepalived expands them) and kept as written.
struct VirtualServerGroup {
  struct Addresses {
    SourceLocation where;
    IpAddress first;
    uint32_t count = 1;  // first .. first + count - 1, within one last octet / last IPv6 group
    uint16_t port = 0;
  };
  struct Fwmark {
    SourceLocation where;
    uint32_t mark = 0;
  };
  SourceLocation where;
  std::string name;
  std::vector<Addresses> addresses;
  std::vector<Fwmark> fwmarks;
  std::optional<bool> v6;  // the members' family; nullopt: fwmarks only, no family written
};

// "TCP 192.0.2.1:80", "FWM 1" (IPv6: "FWM 1 IPv6"), "TCP group NAME".
std::string virtualServerName(const VirtualServerConfig& vs);

struct LocalAddressGroup {
  SourceLocation where;
  std::string name;
  std::vector<IpAddress> addresses;  // ranges already expanded, in config order
};

struct StaticAddress {
  SourceLocation where;
  IpPrefix prefix;
  std::string dev;
  std::string label;
};

// static_routes / static_rules: installed at start, kept whatever VRRP does, removed at stop.
struct StaticRoute {
  SourceLocation where;
  RouteSpec spec;
};
struct StaticRule {
  SourceLocation where;
  RuleSpec spec;
};

// nftables_owner: who may change directord's nf_tables tables. persist (default): only this
// process while it runs, and the tables (so forwarding) outlive a crash until the next start
// claims them, as IPVS rules outlive keepalived; process: the kernel removes them when the
// process dies (fail closed); none: anyone may change them, directord repairs what it sees.
enum class TableOwnership : uint8_t { kNone, kProcess, kPersistent };

struct ListenAddress {
  IpAddress address;
  uint16_t port = 0;
  SourceLocation where;
  std::string str() const { return formatEndpoint(address, port); }
};

struct GlobalDefs {
  std::string routerId;
  uint32_t hashSeed = kDefaultHashSeed;  // lb_hash_seed
  TableOwnership tableOwnership = TableOwnership::kPersistent;  // nftables_owner
  // admin_group NAME: members may call the admin API's mutating calls (runtime edits, zeroing)
  // besides root; "" = root only. Read-only calls are open to anyone who can reach the socket.
  std::string adminGroup;
  // metrics_listen ADDR PORT: where Prometheus scrapes /metrics; nullopt = no metrics (the
  // default). directord's --metrics-listen wins over it.
  std::optional<ListenAddress> metricsListen;
  LvsTimeouts lvsTimeouts;  // lvs_timeouts
};

struct Config {
  GlobalDefs globals;
  std::vector<VirtualServerConfig> virtualServers;
  std::map<std::string, LocalAddressGroup> laddrGroups;
  std::map<std::string, VirtualServerGroup> serviceGroups;  // virtual_server_group, by name
  std::vector<StaticAddress> staticAddresses;
  std::vector<StaticRoute> staticRoutes;
  std::vector<StaticRule> staticRules;
  vrrp::VrrpConfig vrrp;  // vrrp_instance, vrrp_script, vrrp_sync_group, global_defs vrrp_*
  // connection_sync; enabled = false without the block. nodeName is global_defs router_id, else
  // the host name (keepalived's default router_id).
  sync::SyncConfig sync;
  std::vector<healthcheck::TrackFileConfig> trackFiles;  // top-level track_file blocks
};

struct Diagnostic {
  // kNote: a default applied that keepalived reports at info level ("no scheduler set").
  enum class Severity : uint8_t { kWarning, kError, kNote };
  Severity severity = Severity::kError;
  SourceLocation where;
  std::string message;
  // "file:line: error: message"
  std::string str() const;
};

struct LoadResult {
  Config config;
  std::vector<Diagnostic> diagnostics;
  bool hasErrors() const;
};

}  // namespace ha::director
