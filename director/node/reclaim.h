#pragma once
// The node's side of "own what you create, across crashes" (common/ownership/): what the config
// wants as the ledger sees it, acting on a predecessor's ledger at start, and sweeping whatever
// the ledger still lists when we stop (or fail to start). Runs on the main thread while no other
// thread changes the kernel: before the node starts its threads, and after it stopped them.
#include <string_view>
#include <vector>

#include "common/netlink/address_owner.h"
#include "common/netlink/routing_owner.h"
#include "common/ownership/ledger.h"
#include "common/ownership/ownership_ledger.h"
#include "director/config/config_model.h"
#include "director/nft/nft_writer.h"

namespace ha::director {

// static_ipaddress, and every VRRP instance's addresses with its interface as the default device;
// static and virtual routes and rules.
WantedAddresses wantedAddresses(const Config& config);
// static_routes then static_rules, in config order: what the node installs.
std::vector<RoutingEntry> staticRouting(const Config& config);

struct ReclaimPorts {
  // Removes an address whoever added it (purge); the ledger's owner for the director's side.
  AddressOwner& addresses;
  nft::NftWriter& nft;
  // Routes and rules, recording as `addresses` does; null: listed ones are left listed.
  RoutingOwner* routing = nullptr;
};

// Acts on planReclaim(): removes what nobody wants any more, forgets what is gone, and adopts the
// static addresses still wanted (claimed through `ports.addresses`, so they are ours although the
// kernel has them). VRRP addresses are left to VRRP's start. One log line says what happened.
void reclaimAtStart(OwnershipLedger& ledger, const std::vector<OwnedAddress>& present,
                    const WantedAddresses& wanted, const ReclaimPorts& ports);

// Removes everything the ledger still lists: addresses (newest first), our tables, routes; each
// is forgotten once gone. `when` names the occasion in the log ("at stop", "after a failed start").
// Returns how many items were left listed because removing them failed.
size_t sweepLedger(OwnershipLedger& ledger, const ReclaimPorts& ports, std::string_view when);

}  // namespace ha::director
