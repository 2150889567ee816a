#include "director/nft/diff.h"

#include <algorithm>

namespace ha::director::nft {
namespace {

using ElementMap = std::map<Bytes, std::variant<std::monostate, Bytes, Verdict>>;

std::vector<Element> toElements(const ElementMap& m) {
  std::vector<Element> out;
  out.reserve(m.size());
  for (const auto& [key, data] : m) out.push_back({key, data});
  return out;
}

// A set or base chain whose definition changed cannot be edited in place while rules and
// elements refer to it; such changes (new releases, not config) rebuild the table.
bool needsRebuild(const TableState& from, const TableState& to) {
  // An owner-flagged table's flags cannot be changed in place (the kernel refuses with EOPNOTSUPP).
  if (from.owner != to.owner) return true;
  for (const auto& [name, set] : to.sets) {
    auto it = from.sets.find(name);
    if (it != from.sets.end() && !(it->second == set)) return true;
  }
  for (const auto& [name, chain] : to.chains) {
    auto it = from.chains.find(name);
    if (it != from.chains.end() && it->second.hook != chain.hook) return true;
  }
  // Objects cannot be updated in place (their names carry their values, so this is a release).
  for (const auto& [name, object] : to.objects) {
    auto it = from.objects.find(name);
    if (it != from.objects.end() && !(it->second == object)) return true;
  }
  return false;
}

void addEverything(Transaction& tx, const TableId& id, const TableState& t) {
  for (const auto& [name, set] : t.sets) tx.ops.push_back(AddSet{id, set});
  for (const auto& [name, object] : t.objects) tx.ops.push_back(AddObject{id, object});
  for (const auto& [name, chain] : t.chains) tx.ops.push_back(AddChain{id, ChainDef{chain.name, chain.hook, {}}});
  for (const auto& [set, elements] : t.elements) {
    if (!elements.empty()) tx.ops.push_back(AddElements{id, set, toElements(elements)});
  }
  for (const auto& [name, chain] : t.chains) {
    for (const auto& rule : chain.rules) tx.ops.push_back(AddRule{id, name, rule});
  }
}

void diffTable(Transaction& tx, const TableId& id, const TableState& from, const TableState& to) {
  for (const auto& [name, set] : to.sets) {
    if (from.sets.count(name) == 0) tx.ops.push_back(AddSet{id, set});
  }
  for (const auto& [name, object] : to.objects) {
    if (from.objects.count(name) == 0) tx.ops.push_back(AddObject{id, object});
  }
  std::vector<std::string> rewritten;
  for (const auto& [name, chain] : to.chains) {
    auto it = from.chains.find(name);
    if (it == from.chains.end()) {
      tx.ops.push_back(AddChain{id, ChainDef{chain.name, chain.hook, {}}});
      rewritten.push_back(name);
    } else if (it->second.rules != chain.rules) {
      tx.ops.push_back(FlushChain{id, name});
      rewritten.push_back(name);
    }
  }
  // Chains about to go lose their rules first, so nothing they reference stays pinned.
  for (const auto& [name, chain] : from.chains) {
    if (to.chains.count(name) == 0 && !chain.rules.empty()) tx.ops.push_back(FlushChain{id, name});
  }

  static const ElementMap kEmpty;
  std::vector<Op> adds;
  for (const auto& [set, fromElements] : from.elements) {
    auto toIt = to.elements.find(set);
    const ElementMap& toElements = toIt == to.elements.end() ? kEmpty : toIt->second;
    std::vector<Element> removed;
    for (const auto& [key, data] : fromElements) {
      auto it = toElements.find(key);
      if (it == toElements.end() || !(it->second == data)) removed.push_back({key, data});
    }
    // A set that goes loses its elements with it, but a verdict map's elements pin the chains they
    // jump to, which are deleted before the set: empty it first.
    auto def = from.sets.find(set);
    const bool pinsChains = def != from.sets.end() && def->second.verdictMap;
    if (!removed.empty() && (to.sets.count(set) != 0 || pinsChains)) {
      tx.ops.push_back(DeleteElements{id, set, std::move(removed)});
    }
  }
  for (const auto& [set, toElements] : to.elements) {
    auto fromIt = from.elements.find(set);
    const ElementMap& fromElements = fromIt == from.elements.end() ? kEmpty : fromIt->second;
    std::vector<Element> added;
    for (const auto& [key, data] : toElements) {
      auto it = fromElements.find(key);
      if (it == fromElements.end() || !(it->second == data)) added.push_back({key, data});
    }
    if (!added.empty()) tx.ops.push_back(AddElements{id, set, std::move(added)});
  }
  for (const auto& name : rewritten) {
    for (const auto& rule : to.chains.at(name).rules) tx.ops.push_back(AddRule{id, name, rule});
  }
  for (const auto& [name, chain] : from.chains) {
    if (to.chains.count(name) == 0) tx.ops.push_back(DeleteChain{id, name});
  }
  for (const auto& [name, set] : from.sets) {
    if (to.sets.count(name) == 0) tx.ops.push_back(DeleteSet{id, name});
  }
  // Last: no rule names them any more.
  for (const auto& [name, object] : from.objects) {
    if (to.objects.count(name) == 0) tx.ops.push_back(DeleteObject{id, object});
  }
}

}  // namespace

Transaction diff(const NftState& from, const NftState& to) {
  Transaction tx;
  for (const auto& [id, table] : to.tables) {
    auto it = from.tables.find(id);
    if (it == from.tables.end()) {
      tx.ops.push_back(AddTable{id, table.owner});
      addEverything(tx, id, table);
    } else if (needsRebuild(it->second, table)) {
      tx.ops.push_back(DeleteTable{id});
      tx.ops.push_back(AddTable{id, table.owner});
      addEverything(tx, id, table);
    } else {
      diffTable(tx, id, it->second, table);
    }
  }
  for (const auto& [id, table] : from.tables) {
    if (to.tables.count(id) == 0) tx.ops.push_back(DeleteTable{id});
  }
  return tx;
}

Transaction replaceAll(const NftState& to, const std::vector<TableId>& ours) {
  Transaction tx;
  for (const auto& id : ours) {
    tx.ops.push_back(AddTable{id, std::nullopt});
    tx.ops.push_back(DeleteTable{id});
  }
  for (const auto& [id, table] : to.tables) {
    tx.ops.push_back(AddTable{id, table.owner});
    addEverything(tx, id, table);
  }
  return tx;
}

Transaction removeAll(const NftState& state) {
  Transaction tx;
  for (const auto& [id, table] : state.tables) tx.ops.push_back(DeleteTable{id});
  return tx;
}

}  // namespace ha::director::nft
