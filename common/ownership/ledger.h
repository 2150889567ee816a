#pragma once
// The ownership ledger: what this node created in the kernel of its network namespace (addresses,
// nftables tables, routes), as a value, its text codec (the state file), and the pure decision of
// what a new incarnation does with a predecessor's ledger. A crash (kill -9) leaves the ledger
// behind; reading it back is how the next start tells "ours from before" from "someone else's".
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/ip_address.h"
#include "common/netlink/address_owner.h"
#include "common/netlink/routing_entry.h"
#include "common/result.h"

namespace ha {

// Who in directord added an address: the director (static_ipaddress) or VRRP (virtual_ipaddress
// and virtual_ipaddress_excluded of some instance).
enum class AddressRole : uint8_t { kStatic, kVrrp };
std::string_view roleName(AddressRole role);

struct LedgerAddress {
  OwnedAddress address;
  AddressRole role = AddressRole::kStatic;
  bool operator==(const LedgerAddress&) const = default;
};

// `table inet directord`: family and name as nft spells them.
struct LedgerTable {
  std::string family;
  std::string name;
  auto operator<=>(const LedgerTable&) const = default;
};

// A route in a table of ours (the routed cluster announces VIPs and local addresses this way).
// Nothing creates routes yet; the ledger already carries them so a reader of this version keeps
// (and sweeps) what a later version wrote.
struct LedgerRoute {
  IpPrefix prefix;
  uint32_t table = 0;
  std::string type = "unicast";  // unicast | blackhole | unreachable | prohibit
  std::string dev;               // for unicast; empty for the others
  auto operator<=>(const LedgerRoute&) const = default;
};

// A route or rule of static_routes/static_rules (role static) or of some instance's
// virtual_routes/virtual_rules (role vrrp), in every field the kernel knows it by.
struct LedgerRouting {
  RoutingEntry entry;
  AddressRole role = AddressRole::kStatic;
  bool operator==(const LedgerRouting&) const = default;
};

struct Ledger {
  // SO_NETNS_COOKIE of the namespace that wrote it: namespace inodes are reused once a namespace
  // is gone, cookies never are (within a boot). 0: unknown (a kernel older than 5.14).
  uint64_t netnsCookie = 0;
  // /proc/sys/kernel/random/boot_id: nothing we create survives a reboot, and a /run that does
  // (a disk-backed one) must not make a new boot reclaim what an operator has configured since.
  std::string bootId;
  std::vector<LedgerAddress> addresses;  // in the order added; one entry per (prefix, dev)
  std::vector<LedgerTable> tables;       // sorted, unique
  std::vector<LedgerRoute> routes;       // sorted, unique
  std::vector<LedgerRouting> routing;    // in the order installed; one per entry
  bool empty() const {
    return addresses.empty() && tables.empty() && routes.empty() && routing.empty();
  }
  bool operator==(const Ledger&) const = default;
};

// The kernel knows an address by prefix and device; the label is decoration.
bool sameAddress(const OwnedAddress& a, const OwnedAddress& b);

// Mutations that keep the invariants above. Each returns whether the ledger changed.
bool recordAddress(Ledger& ledger, const OwnedAddress& address, AddressRole role);
bool forgetAddress(Ledger& ledger, const OwnedAddress& address);
bool recordTable(Ledger& ledger, const LedgerTable& table);
bool forgetTable(Ledger& ledger, const LedgerTable& table);
bool recordRoute(Ledger& ledger, const LedgerRoute& route);
bool forgetRoute(Ledger& ledger, const LedgerRoute& route);
const LedgerAddress* findAddress(const Ledger& ledger, const OwnedAddress& address);
bool recordRouting(Ledger& ledger, const RoutingEntry& entry, AddressRole role);
bool forgetRouting(Ledger& ledger, const RoutingEntry& entry);
const LedgerRouting* findRouting(const Ledger& ledger, const RoutingEntry& entry);

// The state file's text: a version line, the boot and namespace it belongs to, one line per item,
// then the changes appended since (a journal: appending one line costs the same at any size,
// where rewriting the file per change is O(n) each, O(n^2) for a takeover of n addresses):
//   directord-state 1
//   boot-id 1b4e28ba-2fa1-11d2-883f-0016d3cca427
//   netns-cookie 4099
//   address 192.0.2.100/32 dev lan0 label lan0:vip role vrrp
//   table inet directord
//   route 192.0.2.100/32 table 100 type unicast dev lo
//   forget address 192.0.2.100/32 dev lan0
//   routing route unicast 198.51.100.0/24 via 192.0.2.1 dev lan0 table 100 ... role static
//   forget routing rule inet from 192.0.2.0/24 tos 0 priority 100 proto 18 action table table 100
std::string encodeLedger(const Ledger& ledger);
std::string addressLine(const LedgerAddress& entry);
std::string forgetAddressLine(const OwnedAddress& address);
std::string tableLine(const LedgerTable& table);
std::string forgetTableLine(const LedgerTable& table);
std::string routeLine(const LedgerRoute& route);
std::string forgetRouteLine(const LedgerRoute& route);
std::string routingLine(const LedgerRouting& entry);
std::string forgetRoutingLine(const RoutingEntry& entry);
// Replays the lines in order. A last line without its newline (an append cut short by a kill) is
// dropped; every other problem is an error naming the line: a file we cannot read exactly is not
// reclaimed from.
Result<Ledger> decodeLedger(std::string_view text);
bool endsTorn(std::string_view text);

// What a new incarnation finds: the predecessor's ledger, the addresses the kernel has now, and
// what the new config wants.
struct WantedAddresses {
  std::vector<OwnedAddress> statics;  // static_ipaddress
  std::vector<OwnedAddress> vrrp;     // every instance's addresses, with its interface as default dev
  std::vector<RoutingEntry> staticRouting;  // static_routes, static_rules
  std::vector<RoutingEntry> vrrpRouting;    // every instance's virtual_routes, virtual_rules
};

struct ReclaimPlan {
  // Ours from before and still a static_ipaddress: claimed as ours although present (EEXIST).
  std::vector<OwnedAddress> adoptStatic;
  // Ours from before and still some instance's address: VRRP's start removes it (a backup holds
  // none) and a master claims it; until then the ledger keeps it.
  std::vector<OwnedAddress> handToVrrp;
  // Ours from before and wanted by nobody now: removed before anything starts.
  std::vector<LedgerAddress> remove;
  // Listed, but the kernel no longer has it (removed before the crash, or by someone else).
  std::vector<LedgerAddress> forget;
  // Routes are not created by this version: every listed one is removed.
  std::vector<LedgerRoute> removeRoutes;
  // Routes and rules, the way addresses go (without asking the kernel first: removing one that is
  // gone is no error, and adopting one re-adds it if it went): still static -> adopted; still some
  // instance's -> left to VRRP (its start removes what a backup must not hold); else removed.
  std::vector<RoutingEntry> adoptRouting;
  std::vector<RoutingEntry> routingToVrrp;
  std::vector<RoutingEntry> removeRouting;
  // Tables are replaced by the first nf_tables commit (nft::replaceAll): listed for the log only.
  std::vector<LedgerTable> tables;
};

ReclaimPlan planReclaim(const Ledger& inherited, const std::vector<OwnedAddress>& present,
                        const WantedAddresses& wanted);

}  // namespace ha
