#include "director/nft/patch.h"

#include "director/nft/diff.h"
#include "director/nft/render.h"

namespace ha::director::nft {
namespace {

bool sameForwarding(const ServicePlan& a, const ServicePlan& b) {
  return a.id == b.id && a.key == b.key && a.mode == b.mode && a.pick == b.pick && a.hashPort == b.hashPort &&
         a.slots == b.slots && a.persistenceTimeoutSec == b.persistenceTimeoutSec &&
         a.laddrGroupId == b.laddrGroupId && a.drDevice == b.drDevice;
}

bool sameGroups(const ForwardingPlan& a, const ForwardingPlan& b) {
  if (a.laddrGroups.size() != b.laddrGroups.size()) return false;
  for (const auto& [id, group] : a.laddrGroups) {
    auto it = b.laddrGroups.find(id);
    if (it == b.laddrGroups.end() || it->second.name != group.name || it->second.addresses != group.addresses) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool canPatch(const ForwardingPlan& before, const ForwardingPlan& after) {
  return before.hashSeed == after.hashSeed && before.tableOwnership == after.tableOwnership &&
         before.drDevices == after.drDevices && sameGroups(before, after);
}

std::set<uint32_t> changedServices(const ForwardingPlan& before, const ForwardingPlan& after) {
  std::set<uint32_t> changed;
  for (const auto& [id, sp] : before.services) {
    auto it = after.services.find(id);
    if (it == after.services.end() || !sameForwarding(sp, it->second)) changed.insert(id);
  }
  for (const auto& [id, sp] : after.services) {
    if (before.services.count(id) == 0) changed.insert(id);
  }
  return changed;
}

Transaction patchServices(NftState& installed, const ForwardingPlan& before, const ForwardingPlan& after,
                          const std::set<uint32_t>& changed) {
  // Fragments: only the changed services' shares, over the installed set definitions, so the
  // ordinary diff sees exactly the elements and chains that move.
  NftState from, to;
  for (const auto& [id, table] : installed.tables) {
    from.tables[id].sets = table.sets;
    to.tables[id].sets = table.sets;
  }
  for (uint32_t id : changed) {
    if (auto it = before.services.find(id); it != before.services.end()) renderService(from, it->second, before);
    if (auto it = after.services.find(id); it != after.services.end()) renderService(to, it->second, after);
  }
  // A class chain stays while any service of the new plan still goes to it; one that already
  // exists is in both fragments, so it is neither added nor removed.
  std::set<std::string> inUse;
  for (const auto& [id, sp] : after.services) inUse.insert(classChainName(sp));
  for (auto& [tableId, fromTable] : from.tables) {
    auto& toTable = to.tables[tableId];
    for (const auto& [name, chain] : fromTable.chains) {
      if (inUse.count(name) != 0) toTable.chains.emplace(name, chain);
    }
    const auto& installedChains = installed.tables[tableId].chains;
    for (const auto& [name, chain] : toTable.chains) {
      if (auto it = installedChains.find(name); it != installedChains.end()) fromTable.chains.emplace(name, it->second);
    }
  }
  Transaction tx = diff(from, to);

  for (auto& [tableId, fromTable] : from.tables) {
    TableState& target = installed.tables[tableId];
    const TableState& toTable = to.tables[tableId];
    for (const auto& [set, elements] : fromTable.elements) {
      auto& live = target.elements[set];
      for (const auto& [key, data] : elements) live.erase(key);
    }
    for (const auto& [set, elements] : toTable.elements) {
      auto& live = target.elements[set];
      for (const auto& [key, data] : elements) live[key] = data;
    }
    for (const auto& [name, chain] : fromTable.chains) {
      if (toTable.chains.count(name) == 0) target.chains.erase(name);
    }
    for (const auto& [name, chain] : toTable.chains) target.chains[name] = chain;
  }
  return tx;
}

}  // namespace ha::director::nft
