#pragma once
// ForwardingPlan -> the nf_tables objects that implement it (pure). README.md in this folder
// explains the shape: static base chains, one small chain per service, everything else elements.
#include <optional>
#include <string>

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
  bool ftpHelper = false;
  auto operator<=>(const ServiceClass&) const = default;
};
// nullopt when the service has no real in rotation (its services-map element is drop).
std::optional<ServiceClass> serviceClassOf(const ServicePlan& sp);

// The chain every service of a class goes to; it exists while some service is of that class.
struct ClassChain {
  TableId table;
  std::string name;
};
ClassChain classChainOf(const ServiceClass& cls);

// One service's share of the ruleset: its map elements and the class chain it goes to, in the
// table of its mode. render() is the base objects plus every service's share.
void renderService(NftState& out, const ServicePlan& sp, const ForwardingPlan& plan);

// The ct helper object exists while some service wants it, whatever its reals' health (so a
// health flip never adds or removes it).
bool usesFtpHelper(const ForwardingPlan& plan);
void addFtpHelperObject(NftState& state);

// Element keys, shared with the counter decoder and tests.
Bytes serviceKey(const ServiceKey& key);            // l4proto . vip . vport
Bytes backendKey(uint32_t serviceId, uint32_t slot);  // mark . slot
Bytes endpointData(const Endpoint& endpoint);       // addr . port
Bytes drBackendKey(const ServiceKey& key, uint32_t slot);  // l4proto . vip . vport . slot

}  // namespace ha::director::nft
