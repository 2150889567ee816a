#pragma once
// The full desired forwarding state of a node, computed purely from config (+ health, + VRRP role
// as those issues land). render.cc turns it into nf_tables objects; flow_oracle.cc answers "which
// real does this new flow reach?" from it, so tests assert outcomes rather than rule text.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"
#include "director/config/config_model.h"
#include "director/sched/scheduler.h"

namespace ha::director {

struct Endpoint {
  IpAddress address;
  uint16_t port = 0;
  auto operator<=>(const Endpoint&) const = default;
  std::string str() const { return formatEndpoint(address, port); }
};

// A service as IPVS and keepalived key it: protocol . VIP . port, or a mark (`virtual_server
// fwmark N`: vip is the family's unspecified address, port 0), or a virtual_server_group used with
// one protocol (`virtual_server group NAME`: vip unspecified of the group's family, port 0).
struct ServiceKey {
  Protocol protocol = Protocol::kTcp;
  IpAddress vip;
  uint16_t port = 0;
  uint32_t fwmark = 0;
  std::string group = {};
  auto operator<=>(const ServiceKey&) const = default;
  bool plain() const { return fwmark == 0 && group.empty(); }
  std::string str() const;  // "TCP 192.0.2.1:80", "FWM 1", "FWM 1 IPv6", "TCP group NAME"
};

// The conntrack timeouts of a service's flows, resolved: virtual_server lvs_timeouts, else
// global_defs' (or directorctl --set), else IPVS's defaults (ip_vs_proto_tcp.c / _udp.c).
struct ConnTimeouts {
  static constexpr uint32_t kIpvsTcpSec = 900, kIpvsTcpFinSec = 120, kIpvsUdpSec = 300;
  uint32_t tcpSec = kIpvsTcpSec;
  uint32_t tcpFinSec = kIpvsTcpFinSec;
  uint32_t udpSec = kIpvsUdpSec;
  auto operator<=>(const ConnTimeouts&) const = default;
  bool isDefault() const { return *this == ConnTimeouts{}; }
};
ConnTimeouts resolveTimeouts(const LvsTimeouts& global, const LvsTimeouts& service);
std::string timeoutsText(const ConnTimeouts& t);  // "tcp 900 tcpfin 120 udp 300"

struct PlannedReal {
  Endpoint endpoint;
  uint32_t weight = 1;      // effective: the MISC_CHECK dynamic weight when set, 0 when inhibited
  bool inRotation = false;  // healthy, weight > 0 and the quorum not handed to the sorry server
  SourceLocation where;
  uint32_t configuredWeight = 1;
  bool healthy = true;
  bool inhibitOnFailure = false;  // a failed real stays listed at weight 0 and keeps its flows
  std::string healthReason;       // why it is down ("" when up)
  // Connection-count schedulers: the live connections the table was built from.
  uint32_t activeConns = 0;
  uint32_t inactiveConns = 0;
};

struct ServicePlan {
  uint32_t id = 0;  // stable across reloads while the key is unchanged; mark = kMarkTag | id
  ServiceKey key;
  ForwardMode mode = ForwardMode::kNat;
  std::string scheduler;
  SlotPick pick = SlotPick::kRotation;
  bool hashPort = false;                     // sh-port / mh-port: hash the source port too
  std::vector<PlannedReal> reals;            // every configured real, for display and counters
  std::vector<Endpoint> slots;               // slot -> real; size is the numgen/jhash modulus
  uint32_t persistenceTimeoutSec = 0;        // 0: no client affinity
  std::optional<IpAddress> persistenceMask;  // persistence_granularity; nullopt: the whole address
  ConnTimeouts timeouts;                     // NAT/FULLNAT: the flows' conntrack timeouts
  bool oneShot = false;                  // ops: UDP, every datagram scheduled, no conntrack entry
  std::optional<uint32_t> laddrGroupId;  // FULLNAT
  // DR, TUN and client_address toa: the device the VIPs arrive on (a static_ipaddress or VRRP
  // address holds them); DR's reals sit behind it too.
  std::string ingressDevice;
  SourceLocation where;
  std::optional<Endpoint> sorryServer;  // configured sorry_server
  bool sorryActive = false;             // the quorum is lost: new flows go to the sorry server
  bool quorumUp = true;
  // Connection-count schedulers with live counts: IPVS's pick for the next connection.
  std::optional<Endpoint> nextPick;
  // virtual_server group: the group's expansion, every VIP:port (protocol of the key) and mark
  // that selects this one service. Empty for plain and fwmark services (their key selects them).
  std::vector<Endpoint> groupAddresses;
  std::vector<uint32_t> groupFwmarks;
  bool ftpHelper = false;         // new flows get the kernel's FTP helper (NAT/FULLNAT only)
  bool clientAddressToa = false;  // FULLNAT: the eBPF datapath adds TOA to the clients' SYNs
};

// Served by the eBPF datapath at tcx ingress (director/bpf): TUN, and FULLNAT's client address.
inline bool usesBpfDatapath(const ServicePlan& sp) {
  return sp.mode == ForwardMode::kTun || sp.clientAddressToa;
}

// What selects a service: VIP:port keys (its own, or its group's) and packet marks.
std::vector<ServiceKey> selectorAddresses(const ServicePlan& sp);
std::vector<uint32_t> selectorMarks(const ServicePlan& sp);
// Reals with port 0 keep the packet's destination port (IPVS fwmark services): every real of a
// service selected by marks only has port 0 (the config checker refuses a mix).
bool keepsPacketPort(const ServicePlan& sp);

struct LaddrGroupPlan {
  uint32_t id = 0;
  std::string name;
  std::vector<IpAddress> addresses;
};

struct ForwardingPlan {
  uint32_t hashSeed = kDefaultHashSeed;
  TableOwnership tableOwnership = TableOwnership::kPersistent;
  std::map<uint32_t, ServicePlan> services;        // by id
  std::map<uint32_t, LaddrGroupPlan> laddrGroups;  // by id
  std::map<std::string, uint32_t> drDevices;       // device name -> ifindex
  std::map<std::string, uint32_t> bpfDevices;      // the eBPF datapath's: device name -> ifindex
};

// Health verdicts from healthcheck/, keyed as the director keys services and reals. A real or
// service absent from the maps is up (no checkers, or not probed yet without alpha).
struct RealHealth {
  bool up = true;
  std::optional<uint32_t> dynamicWeight;  // MISC_CHECK misc_dynamic
  std::string reason;
  bool operator==(const RealHealth&) const = default;
};
struct HealthInputs {
  std::map<std::pair<ServiceKey, Endpoint>, RealHealth> reals;
  std::set<ServiceKey> quorumLost;
};

// Live connections per real of the connection-count services (lc wlc sed nq ovf), as the node
// follows them in conntrack. A service absent from the map has no live counts: its table spreads
// new connections by weight alone.
struct RealLoad {
  uint32_t active = 0;    // IPVS's ActiveConn: TCP ESTABLISHED; UDP seen both ways
  uint32_t inactive = 0;  // every other state
  bool operator==(const RealLoad&) const = default;
};
struct ServiceLoad {
  std::map<Endpoint, RealLoad> reals;
  uint32_t horizon = 1;  // new connections expected before the node rebuilds the table
  bool operator==(const ServiceLoad&) const = default;
};
using ConnectionLoads = std::map<uint32_t, ServiceLoad>;  // by service id

// What the plan is computed from; everything that is not config is an explicit input.
struct PlanInputs {
  const Config* config = nullptr;
  std::map<ServiceKey, uint32_t> serviceIds;  // from assignServiceIds()
  std::map<std::string, uint32_t> ifindexes;  // device name -> ifindex, for DR, TUN and TOA
  const HealthInputs* health = nullptr;       // null: every real up
  const ConnectionLoads* loads = nullptr;     // null: no live connection counts
};

// Keeps the ids of services whose key survives, gives new keys the lowest free ids.
std::map<ServiceKey, uint32_t> assignServiceIds(const std::map<ServiceKey, uint32_t>& previous,
                                                const Config& config);

ServiceKey serviceKeyOf(const VirtualServerConfig& vs);

// The key of the service an admin request names: itself when a service has it; a group's key
// for one of its VIP:port members (ipvsadm sees keepalived's expansion, so `-t MEMBER` names
// the group); the fwmark service (either family, IPv4 first) or group of `-f MARK`.
ServiceKey resolveServiceKey(const ForwardingPlan& plan, const ServiceKey& asked);
// ftp_helper as written, else ip_vs_ftp's rule: TCP services on port 21 (its `ports` parameter's
// default; for a virtual_server_group, any member on port 21). Only NAT and FULLNAT rewrite
// addresses, so only they need it.
bool wantsFtpHelper(const VirtualServerConfig& vs, const VirtualServerGroup* group = nullptr);
constexpr uint16_t kFtpControlPort = 21;

// The devices VIPs arrive on, for the services that work at ingress (DR, TUN, TOA).
std::set<std::string> ingressDevicesOf(const Config& config);

// Pure. Fails only on what the config checker cannot know (an unknown DR device).
Result<ForwardingPlan> buildPlan(const PlanInputs& inputs);

// Pure. Re-plans one service of a plan built from the same inputs' config (a health flip): the
// result replaces plan.services[id]; nothing else in the plan depends on health.
Result<ServicePlan> replanService(const Config& config, const HealthInputs* health,
                                  const ForwardingPlan& plan, const VirtualServerConfig& vs,
                                  uint32_t id, const ConnectionLoads* loads = nullptr);

}  // namespace ha::director
