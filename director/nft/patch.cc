#include "director/nft/patch.h"

#include "director/nft/diff.h"
#include "director/nft/names.h"
#include "director/nft/ops_render.h"
#include "director/nft/render.h"

namespace ha::director::nft {
namespace {

bool sameForwarding(const ServicePlan& a, const ServicePlan& b) {
  return a.id == b.id && a.key == b.key && a.mode == b.mode && a.pick == b.pick &&
         a.hashPort == b.hashPort && a.slots == b.slots &&
         a.persistenceTimeoutSec == b.persistenceTimeoutSec &&
         a.persistenceMask == b.persistenceMask && a.timeouts == b.timeouts &&
         a.oneShot == b.oneShot && a.ftpHelper == b.ftpHelper && a.laddrGroupId == b.laddrGroupId &&
         a.ingressDevice == b.ingressDevice && a.groupAddresses == b.groupAddresses &&
         a.groupFwmarks == b.groupFwmarks && keepsPacketPort(a) == keepsPacketPort(b);
}

bool sameGroups(const ForwardingPlan& a, const ForwardingPlan& b) {
  if (a.laddrGroups.size() != b.laddrGroups.size()) return false;
  for (const auto& [id, group] : a.laddrGroups) {
    auto it = b.laddrGroups.find(id);
    if (it == b.laddrGroups.end() || it->second.name != group.name ||
        it->second.addresses != group.addresses) {
      return false;
    }
  }
  return true;
}

// Class chains are shared by their services. One a changed service leaves stays while an
// unchanged service still goes to it; one a changed service joins that is already installed is in
// both fragments, so the diff neither adds nor removes it.
void shareClassChains(const NftState& installed, const ForwardingPlan& before,
                      const ForwardingPlan& after, const std::set<uint32_t>& changed,
                      NftState& from, NftState& to) {
  std::set<ServiceClass> left, joined;
  for (uint32_t id : changed) {
    if (auto it = before.services.find(id); it != before.services.end()) {
      for (const auto& cls : serviceClassesOf(it->second)) left.insert(cls);
    }
    if (auto it = after.services.find(id); it != after.services.end()) {
      for (const auto& cls : serviceClassesOf(it->second)) joined.insert(cls);
    }
  }
  for (const auto& cls : joined) left.erase(cls);
  // Usually the first unchanged service of the class ends the walk; only a class losing its last
  // service costs a walk of every service (a struct compare each: no chain names are built).
  std::set<ServiceClass> stillUsed;
  for (auto it = after.services.begin(); it != after.services.end() && !left.empty(); ++it) {
    if (changed.count(it->first) != 0) continue;
    for (const auto& cls : serviceClassesOf(it->second)) {
      if (left.erase(cls) != 0) stillUsed.insert(cls);
    }
  }
  auto copyInstalled = [&installed](const ServiceClass& cls, NftState& into) {
    const auto chain = classChainOf(cls);
    auto table = installed.tables.find(chain.table);
    if (table == installed.tables.end()) return;
    auto installedChain = table->second.chains.find(chain.name);
    if (installedChain != table->second.chains.end())
      into.tables[chain.table].chains.emplace(chain.name, installedChain->second);
    for (const auto& name : classObjectNames(cls)) {
      if (auto o = table->second.objects.find(name); o != table->second.objects.end())
        into.tables[chain.table].objects.emplace(name, o->second);
    }
  };
  for (const auto& cls : stillUsed) copyInstalled(cls, to);
  for (const auto& cls : joined) copyInstalled(cls, from);
}

// The ct helper object is shared by every FTP service, whatever its class: it comes with the
// first changed service that wants it (added only when not installed yet) and goes when the
// changed services take away the last user (the walk over all services happens only then).
void shareFtpHelper(const NftState& installed, const ForwardingPlan& before,
                    const ForwardingPlan& after, const std::set<uint32_t>& changed, NftState& from,
                    NftState& to) {
  bool joined = false, left = false;
  for (uint32_t id : changed) {
    if (auto it = after.services.find(id); it != after.services.end())
      joined = joined || it->second.ftpHelper;
    if (auto it = before.services.find(id); it != before.services.end())
      left = left || it->second.ftpHelper;
  }
  auto table = installed.tables.find(inetTable());
  const bool isInstalled =
      table != installed.tables.end() && table->second.objects.count(std::string(kFtpHelper)) != 0;
  if (joined) {
    addFtpHelperObject(to);
    if (isInstalled) addFtpHelperObject(from);
  } else if (left && isInstalled) {
    addFtpHelperObject(from);
    if (usesFtpHelper(after)) addFtpHelperObject(to);
  }
}

}  // namespace

bool canPatch(const ForwardingPlan& before, const ForwardingPlan& after) {
  return before.hashSeed == after.hashSeed && before.tableOwnership == after.tableOwnership &&
         planHasOps(before) == planHasOps(after) && before.drDevices == after.drDevices &&
         sameGroups(before, after);
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

Transaction patchServices(NftState& installed, const ForwardingPlan& before,
                          const ForwardingPlan& after, const std::set<uint32_t>& changed) {
  // Fragments: only the changed services' shares, over the installed set definitions, so the
  // ordinary diff sees exactly the elements and chains that move.
  NftState from, to;
  for (const auto& [id, table] : installed.tables) {
    from.tables[id].sets = table.sets;
    to.tables[id].sets = table.sets;
  }
  for (uint32_t id : changed) {
    if (auto it = before.services.find(id); it != before.services.end())
      renderService(from, it->second, before);
    if (auto it = after.services.find(id); it != after.services.end())
      renderService(to, it->second, after);
  }
  shareClassChains(installed, before, after, changed, from, to);
  shareFtpHelper(installed, before, after, changed, from, to);
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
    for (const auto& [name, object] : fromTable.objects) {
      if (toTable.objects.count(name) == 0) target.objects.erase(name);
    }
    for (const auto& [name, object] : toTable.objects) target.objects[name] = object;
  }
  return tx;
}

}  // namespace ha::director::nft
