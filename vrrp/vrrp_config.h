#pragma once
// What vrrp/ needs from keepalived.conf (vrrp_instance, vrrp_script, vrrp_sync_group and the VRRP
// keys of global_defs). The config parser in director/config fills it (docs/style.md §4); defaults
// are keepalived 2.2.7's.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/ip_address.h"
#include "common/netlink/routing_entry.h"

namespace ha::vrrp {

enum class Version : uint8_t { kV2 = 2, kV3 = 3 };
enum class AuthType : uint8_t { kNone = 0, kSimplePassword = 1 };  // RFC 3768 §5.3.6 (v2 only)
enum class InitialState : uint8_t { kBackup, kMaster };

inline constexpr uint8_t kPriorityOwner = 255;  // RFC 5798 §5.2.4: the address owner
inline constexpr uint8_t kPriorityStop = 0;     // RFC 5798 §5.2.4: master is leaving

// `virtual_ipaddress { 192.0.2.1/24 dev eth1 label eth1:vip }`; dev empty = the instance's
// interface. Excluded addresses (`virtual_ipaddress_excluded`) move with the instance but are not
// listed in adverts.
struct VirtualAddress {
  IpPrefix prefix;
  std::string dev;
  std::string label;
  std::string location;  // file:line
  bool operator==(const VirtualAddress&) const = default;
};

// `track_interface { eth1 weight -20 }`: weight 0 = the instance goes to FAULT while it is down.
struct TrackedInterface {
  std::string name;
  int weight = 0;
  bool operator==(const TrackedInterface&) const = default;
};

// `track_script { chk_x weight 10 }`: weight unset = the script's own weight.
struct TrackedScript {
  std::string name;
  std::optional<int> weight;
  bool operator==(const TrackedScript&) const = default;
};

// Our `track_virtual_server { VIP PORT [TCP|UDP] [weight N] }`: the instance tracks a virtual
// server's quorum (health checks). Weight 0 = FAULT while the quorum is lost (like track_script).
struct TrackedVirtualServer {
  std::string name;  // "TCP 192.0.2.1:80", as healthcheck::ServiceKey::str() spells it
  int weight = 0;
  bool operator==(const TrackedVirtualServer&) const = default;
};

// keepalived's notify scripts; each is a command line run through no shell (split on spaces,
// quotes respected), with keepalived's arguments appended.
struct NotifyScripts {
  std::string master;
  std::string backup;
  std::string fault;
  std::string stop;
  std::string any;  // `notify`: called with ("INSTANCE"|"GROUP") NAME STATE PRIORITY
  bool operator==(const NotifyScripts&) const = default;
};

// Gratuitous ARP / unsolicited NA after becoming master (keepalived's garp_* keywords).
struct GarpConfig {
  Duration masterDelay = std::chrono::seconds(5);  // second burst after this; 0 = none
  uint32_t masterRepeat = 5;                         // packets per burst
  Duration masterRefresh{0};                         // periodic refresh while master; 0 = off
  uint32_t masterRefreshRepeat = 1;
  Duration interval{0};  // gap between packets of a burst (vrrp_garp_interval / vrrp_gna_interval)
  bool operator==(const GarpConfig&) const = default;
};

struct InstanceConfig {
  std::string name;
  std::string location;  // file:line of `vrrp_instance NAME {`
  InitialState initialState = InitialState::kBackup;
  std::string interface;
  uint8_t vrid = 0;
  uint8_t priority = 100;
  Version version = Version::kV2;
  Family family = Family::kV4;  // from the first virtual address (or unicast_src_ip)
  Duration advertInterval = std::chrono::seconds(1);  // v3: 10 ms steps; v2: whole seconds
  bool preempt = true;
  Duration preemptDelay{0};
  bool acceptMode = false;  // RFC 5798 §6.1 Accept_Mode (keepalived: `accept` / `no_accept`)
  std::vector<VirtualAddress> addresses;
  std::vector<VirtualAddress> excludedAddresses;
  std::optional<IpAddress> unicastSource;
  std::vector<IpAddress> unicastPeers;  // empty = multicast 224.0.0.18 / ff02::12
  AuthType authType = AuthType::kNone;
  std::string authPass;  // up to 8 bytes, zero-padded on the wire
  std::vector<TrackedInterface> trackInterfaces;
  std::vector<TrackedScript> trackScripts;
  std::vector<TrackedVirtualServer> trackVirtualServers;
  bool trackSync = false;  // connection sync issue: do not preempt before bulk sync completes
  NotifyScripts notify;
  GarpConfig garp;
  // virtual_routes / virtual_rules: installed while MASTER (after the addresses, so a route may
  // use a VIP as `src`), removed otherwise. A reload changes only the difference, without
  // restarting the instance.
  std::vector<RouteSpec> routes;
  std::vector<RuleSpec> rules;
  bool operator==(const InstanceConfig&) const = default;
};

struct ScriptConfig {
  std::string name;
  std::string location;
  std::string command;  // split like notify scripts
  Duration interval = std::chrono::seconds(1);
  Duration timeout{0};  // 0 = interval
  int weight = 0;       // 0 = failure puts tracking instances in FAULT
  uint32_t rise = 1;
  uint32_t fall = 1;
  bool initFail = false;  // `init_fail`: starts failed, needs `rise` successes (else: first result)
  bool operator==(const ScriptConfig&) const = default;
};

struct SyncGroupConfig {
  std::string name;
  std::string location;
  std::vector<std::string> members;  // instance names
  NotifyScripts notify;
  bool operator==(const SyncGroupConfig&) const = default;
};

struct VrrpConfig {
  std::vector<InstanceConfig> instances;
  std::vector<ScriptConfig> scripts;
  std::vector<SyncGroupConfig> syncGroups;
  bool operator==(const VrrpConfig&) const = default;
};

}  // namespace ha::vrrp
