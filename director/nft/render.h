#pragma once
// ForwardingPlan -> the nf_tables objects that implement it (pure). README.md in this folder
// explains the shape: static base chains, one small chain per service, everything else elements.
#include <optional>
#include <string>
#include <vector>

#include "director/nft/ir.h"
#include "director/plan/forwarding_plan.h"

namespace ha::director::nft {

TableId inetTable();
TableId netdevTable();

NftState render(const ForwardingPlan& plan);
// nftables_owner as the flags the tables are created with.
TableOwner tableOwner(TableOwnership ownership);

// How a service picks its real; every service of one class shares one chain (README.md).
struct ServiceClass {
  bool dr = false;  // netdev table; otherwise inet
  bool v6 = false;
  SlotPick pick = SlotPick::kRotation;
  uint32_t modulus = 0;  // slots
  bool hashPort = false;
  uint32_t persistenceSec = 0;
  bool byMark = false;    // entered from the fwmarks map: the ct mark comes from the packet mark
  bool keepPort = false;  // dnat to the real's address only (reals of port 0 under a mark)
  Bytes persistMask;      // persistence_granularity; empty: the whole client address
  ConnTimeouts timeouts;  // inet only: the ct timeout objects the chain attaches
  bool ops = false;       // ops: stateless, in the raw-priority chain (ops_render.h)
  bool ftpHelper = false;  // the flow gets the kernel's FTP helper (the shared kFtpHelper object)
  auto operator<=>(const ServiceClass&) const = default;
};
// Empty when the service has no real in rotation (its map elements are drop); two for a group
// with both addresses and marks (one chain per way in).
std::vector<ServiceClass> serviceClassesOf(const ServicePlan& sp);

// The chain every service of a class goes to; it exists while some service is of that class.
struct ClassChain {
  TableId table;
  std::string name;
};
ClassChain classChainOf(const ServiceClass& cls);
// The ct timeout objects a class chain attaches, named after it: they live and go with it.
std::vector<std::string> classObjectNames(const ServiceClass& cls);

// One service's share of the ruleset: its map elements and the class chain it goes to, in the
// table of its mode. render() is the base objects plus every service's share.
void renderService(NftState& out, const ServicePlan& sp, const ForwardingPlan& plan);

// The ct helper object exists while some service wants it, whatever its reals' health (so a
// health flip never adds or removes it).
bool usesFtpHelper(const ForwardingPlan& plan);
void addFtpHelperObject(NftState& state);

// Element keys, shared with the counter decoder and tests.
Bytes serviceKey(const ServiceKey& key);                   // l4proto . vip . vport
Bytes fwmarkKey(Protocol protocol, uint32_t mark);         // l4proto . mark
Bytes backendKey(uint32_t serviceId, uint32_t slot);       // mark . slot
Bytes endpointData(const Endpoint& endpoint);              // addr . port
Bytes drBackendKey(const ServiceKey& key, uint32_t slot);  // l4proto . vip . vport . slot

}  // namespace ha::director::nft
