#pragma once
// ops (one-packet scheduling) for UDP NAT services: a stateless dnat per datagram in a raw-priority
// chain, and the replies' source rewritten to the VIP after routing (ops_render.cc has the shape).
#include <optional>
#include <string>

#include "director/nft/render.h"

namespace ha::director::nft {

// The ops base chains and maps exist only while some ops service does: they see every packet.
bool planHasOps(const ForwardingPlan& plan);
void addOpsBase(TableState& t);
ChainDef opsClassChain(const std::string& name, bool v6, SlotPick pick, uint32_t modulus,
                       bool hashPort, uint32_t seed);
// chain: the class chain; nullopt when no real is in rotation (the datagram is dropped).
void addOpsServiceElements(TableState& t, const ServicePlan& sp,
                           const std::optional<std::string>& chain);

}  // namespace ha::director::nft
