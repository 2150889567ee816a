#include "director/node/reclaim.h"

#include <optional>
#include <string>

#include "common/log.h"
#include "common/netlink/route_remover.h"
#include "director/nft/ir.h"

namespace ha::director {
namespace {

std::string describe(const OwnedAddress& a) { return a.prefix.str() + " dev " + a.dev; }

std::optional<nft::TableId> tableId(const LedgerTable& t) {
  if (t.family == "inet") return nft::TableId{nft::TableFamily::kInet, t.name};
  if (t.family == "netdev") return nft::TableId{nft::TableFamily::kNetdev, t.name};
  return std::nullopt;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

// Removes each route and forgets it; returns how many could not be removed.
size_t removeRoutes(OwnershipLedger& ledger, const std::vector<LedgerRoute>& routes,
                    std::vector<std::string>& removed) {
  size_t failed = 0;
  for (const auto& r : routes) {
    if (auto st = deleteRoute(r.prefix, r.table, r.type); !st) {
      log::error(st.error());
      ++failed;
      continue;
    }
    ledger.forgetRoute(r);
    removed.push_back("route " + r.prefix.str() + " table " + std::to_string(r.table));
  }
  return failed;
}

// Routes and rules of a predecessor's ledger: adopted (still static: claimed, as the recording
// owner claims what the ledger lists), left to VRRP, or removed (purged, so forgotten).
void reclaimRouting(const ReclaimPlan& plan, RoutingOwner* routing,
                    std::vector<std::string>& adopted, std::vector<std::string>& removed,
                    std::vector<std::string>& toVrrp, std::vector<std::string>& failed) {
  for (const auto& e : plan.routingToVrrp) toVrrp.push_back(ha::describe(e));
  if (routing == nullptr) return;
  for (const auto& e : plan.removeRouting) {
    if (auto st = routing->purge(e); !st) {
      log::error("reclaim: " + st.error());
      failed.push_back(ha::describe(e));
      continue;
    }
    removed.push_back(ha::describe(e));
  }
  for (const auto& e : plan.adoptRouting) {
    if (auto added = routing->add(e); !added) {
      log::error("reclaim: " + added.error());
      failed.push_back(ha::describe(e));
      continue;
    }
    adopted.push_back(ha::describe(e));
  }
}

}  // namespace

std::vector<RoutingEntry> staticRouting(const Config& config) {
  std::vector<RoutingEntry> out;
  for (const auto& r : config.staticRoutes) out.emplace_back(r.spec);
  for (const auto& r : config.staticRules) out.emplace_back(r.spec);
  return out;
}

WantedAddresses wantedAddresses(const Config& config) {
  WantedAddresses wanted;
  wanted.staticRouting = staticRouting(config);
  for (const auto& instance : config.vrrp.instances) {
    wanted.vrrpRouting.insert(wanted.vrrpRouting.end(), instance.routes.begin(),
                              instance.routes.end());
    wanted.vrrpRouting.insert(wanted.vrrpRouting.end(), instance.rules.begin(),
                              instance.rules.end());
  }
  for (const auto& sa : config.staticAddresses) wanted.statics.push_back({sa.prefix, sa.dev, sa.label});
  for (const auto& instance : config.vrrp.instances) {
    for (const auto* list : {&instance.addresses, &instance.excludedAddresses}) {
      for (const auto& a : *list) {
        wanted.vrrp.push_back({a.prefix, a.dev.empty() ? instance.interface : a.dev, a.label});
      }
    }
  }
  return wanted;
}

void reclaimAtStart(OwnershipLedger& ledger, const std::vector<OwnedAddress>& present,
                    const WantedAddresses& wanted, const ReclaimPorts& ports) {
  const Ledger inherited = ledger.snapshot();
  if (inherited.empty()) return;
  const ReclaimPlan plan = planReclaim(inherited, present, wanted);
  std::vector<std::string> adopted, removed, gone, toVrrp, failed;
  for (const auto& e : plan.forget) {
    ledger.forgetAddress(e.address);
    gone.push_back(describe(e.address));
  }
  for (const auto& e : plan.remove) {
    if (auto st = ports.addresses.purge(e.address); !st) {
      log::error("reclaim: " + st.error());
      failed.push_back(describe(e.address));
      continue;
    }
    removed.push_back(describe(e.address));
  }
  for (const auto& a : plan.adoptStatic) {
    if (auto st = ports.addresses.add(a); !st) {
      log::error("reclaim: " + st.error());
      failed.push_back(describe(a));
      continue;
    }
    adopted.push_back(describe(a));
  }
  for (const auto& a : plan.handToVrrp) toVrrp.push_back(describe(a));
  reclaimRouting(plan, ports.routing, adopted, removed, toVrrp, failed);
  removeRoutes(ledger, plan.removeRoutes, removed);
  std::vector<std::string> tables;
  for (const auto& t : plan.tables) tables.push_back(t.family + " " + t.name);
  log::info("reclaimed what a previous directord in this namespace left (state file): adopted [" + joined(adopted) +
            "], removed [" + joined(removed) + "], left to VRRP [" + joined(toVrrp) + "], already gone [" +
            joined(gone) + "], tables replaced by the first commit [" + joined(tables) + "]" +
            (failed.empty() ? "" : "; could not reclaim [" + joined(failed) + "]"));
}

size_t sweepLedger(OwnershipLedger& ledger, const ReclaimPorts& ports, std::string_view when) {
  const Ledger left = ledger.snapshot();
  if (left.empty()) return 0;
  size_t failed = 0;
  std::vector<std::string> removed;
  // Routes and rules first (newest first): some use our addresses.
  // NOLINTNEXTLINE(modernize-loop-convert): reverse order; clang 14 cannot build views::reverse
  for (auto it = left.routing.rbegin(); it != left.routing.rend(); ++it) {
    if (ports.routing == nullptr) {
      ++failed;
      continue;
    }
    if (auto st = ports.routing->purge(it->entry); !st) {
      log::error(st.error());
      ++failed;
      continue;
    }
    removed.push_back(ha::describe(it->entry));
  }
  // NOLINTNEXTLINE(modernize-loop-convert): reverse order; clang 14 cannot build views::reverse
  for (auto it = left.addresses.rbegin(); it != left.addresses.rend(); ++it) {
    if (auto st = ports.addresses.purge(it->address); !st) {
      log::error(st.error());
      ++failed;
      continue;
    }
    removed.push_back(describe(it->address));
  }
  nft::Transaction tx;
  std::vector<LedgerTable> tables;
  for (const auto& t : left.tables) {
    auto id = tableId(t);
    if (!id) {
      log::error("state file lists table " + t.family + " " + t.name + ", a family directord never uses; left alone");
      ++failed;
      continue;
    }
    // Add-then-delete removes a table whether or not it is still there, in one batch.
    tx.ops.push_back(nft::AddTable{*id});
    tx.ops.push_back(nft::DeleteTable{*id});
    tables.push_back(t);
  }
  if (!tx.empty()) {
    if (auto st = ports.nft.commit(tx); !st) {
      log::error("removing tables listed in the state file: " + st.error());
      failed += tables.size();
    } else {
      for (const auto& t : tables) {
        ledger.forgetTable(t);
        removed.push_back("table " + t.family + " " + t.name);
      }
    }
  }
  failed += removeRoutes(ledger, left.routes, removed);
  log::warning("removed what the state file still listed " + std::string(when) + ": [" + joined(removed) + "]" +
               (failed == 0 ? "" : "; " + std::to_string(failed) + " could not be removed"));
  return failed;
}

}  // namespace ha::director
