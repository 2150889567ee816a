#pragma once
// ForwardingPlan -> the nf_tables objects that implement it (pure). README.md in this folder
// explains the shape: static base chains, one small chain per service, everything else elements.
#include "director/nft/ir.h"
#include "director/plan/forwarding_plan.h"

namespace ha::director::nft {

TableId inetTable();
TableId netdevTable();

NftState render(const ForwardingPlan& plan);
// nftables_owner as the flags the tables are created with.
TableOwner tableOwner(TableOwnership ownership);

// One service's share of the ruleset: its map elements and the class chain it goes to, in the
// table of its mode. render() is the base objects plus every service's share.
void renderService(NftState& out, const ServicePlan& sp, const ForwardingPlan& plan);
// The class chain a service goes to; empty when it has no real in rotation.
std::string classChainName(const ServicePlan& sp);

// Element keys, shared with the counter decoder and tests.
Bytes serviceKey(const ServiceKey& key);            // l4proto . vip . vport
Bytes backendKey(uint32_t serviceId, uint32_t slot);  // mark . slot
Bytes endpointData(const Endpoint& endpoint);       // addr . port
Bytes drBackendKey(const ServiceKey& key, uint32_t slot);  // l4proto . vip . vport . slot

}  // namespace ha::director::nft
