#pragma once
// Between the director's model and sync/: what a peer's flow must match to be admitted here (our
// services, their reals and local addresses, with the marks this node gives them).
#include <cstdint>
#include <map>

#include "director/config/config_model.h"
#include "director/plan/forwarding_plan.h"
#include "sync/catalog.h"

namespace ha::director {

// Pure. NAT and FULLNAT services only: DR and TUN flows never reach conntrack. Every configured
// real counts, whatever its health (a peer may still hold flows to a real we see down: the health
// checker, not sync, retires them), and so does the sorry server. A FULLNAT flow may name any
// local address of any local_address_group here.
sync::ServiceCatalog syncCatalogOf(const Config& config, const std::map<ServiceKey, uint32_t>& serviceIds);

}  // namespace ha::director
