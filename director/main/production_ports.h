#pragma once
// The composition root's wiring: every production adapter the node and the module services use is
// built here and nowhere else (the node and the services take ports; tests hand them fakes).
// Two steps, because the kernel adapters are needed before the node exists: the start-up sweep
// (node/reclaim.h) runs on them, and so does the final sweep on every way out.
#include <memory>
#include <vector>

#include "common/netlink/address_owner.h"
#include "common/ownership/ownership_ledger.h"
#include "common/result.h"
#include "director/config/config_model.h"
#include "director/nft/netlink_writer.h"
#include "director/node/node.h"
#include "director/node/reclaim.h"
#include "healthcheck/control.h"

namespace ha::director {

// nf_tables and rtnetlink, which the node cannot run without.
struct KernelPorts {
  std::unique_ptr<nft::NetlinkNftWriter> nft;
  // The director's addresses (static_ipaddress), recorded in the ledger as they change.
  std::unique_ptr<AddressOwner> addresses;
  std::vector<OwnedAddress> present;  // the addresses of the namespace at start
  // static_routes / static_rules, recorded in the ledger as they change.
  std::unique_ptr<RoutingOwner> routing;
  // For the sweeps; valid while the node (which takes these ports) lives.
  ReclaimPorts sweepPorts() const { return {*addresses, *nft, routing.get()}; }
};
Result<KernelPorts> openKernelPorts(std::shared_ptr<OwnershipLedger> ledger);

// Every NodePorts: the kernel ports moved in, then conntrack, drift notifications and the VRRP,
// health and sync services on their own threads. Fails only when the config needs VRRP and it
// cannot start; anything else that is unavailable is logged and left out (the node then refuses
// what needs it). `ports` keeps what was filled in either way, so the caller's sweep still has
// the kernel ports. `onHealth` runs on the health thread (healthcheck::HealthListener).
Status assembleNodePorts(NodePorts& ports, KernelPorts kernel,
                         std::shared_ptr<OwnershipLedger> ledger, const Config& config,
                         healthcheck::HealthListener onHealth);

}  // namespace ha::director
