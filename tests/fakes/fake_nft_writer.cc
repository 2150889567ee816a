#include "tests/fakes/fake_nft_writer.h"

#include <algorithm>

#include "director/nft/ir_text.h"

namespace ha::director::nft {
namespace {

bool ruleUsesSet(const Rule& r, const std::string& set) {
  for (const auto& e : r.exprs) {
    if (const auto* l = std::get_if<Lookup>(&e); l && l->set == set) return true;
    if (const auto* d = std::get_if<Dynset>(&e); d && d->set == set) return true;
  }
  return false;
}

bool ruleUsesObject(const Rule& r, const std::string& object) {
  for (const auto& e : r.exprs) {
    if (const auto* ref = std::get_if<Objref>(&e); ref && ref->name == object) return true;
  }
  return false;
}

bool ruleTargetsChain(const Rule& r, const std::string& chain) {
  for (const auto& e : r.exprs) {
    if (const auto* v = std::get_if<ImmediateVerdict>(&e); v && v->verdict.chain == chain) return true;
  }
  return false;
}

class Applier {
 public:
  explicit Applier(NftState& s) : s_(s) {}

  Status operator()(const AddTable& o) {
    auto [it, created] = s_.tables.try_emplace(o.table);
    if (created) {
      it->second.owner = o.owner.value_or(TableOwner::kNone);
    } else if (o.owner && *o.owner != it->second.owner) {
      // The kernel does not change an owned table's flags in place.
      return Error{"add table " + o.table.name + ": Operation not supported"};
    }
    return okStatus();
  }
  Status operator()(const DeleteTable& o) {
    if (s_.tables.erase(o.table) == 0) return Error{"delete table " + o.table.name + ": No such file or directory"};
    return okStatus();
  }
  Status operator()(const AddSet& o) {
    auto* t = table(o.table);
    if (!t) return Error{"add set " + o.set.name + ": No such file or directory"};
    auto [it, inserted] = t->sets.emplace(o.set.name, o.set);
    if (!inserted && !(it->second == o.set)) return Error{"add set " + o.set.name + ": File exists"};
    return okStatus();
  }
  Status operator()(const DeleteSet& o) {
    auto* t = table(o.table);
    if (!t || t->sets.count(o.name) == 0) return Error{"delete set " + o.name + ": No such file or directory"};
    for (const auto& [name, chain] : t->chains) {
      for (const auto& r : chain.rules) {
        if (ruleUsesSet(r, o.name)) return Error{"delete set " + o.name + ": Device or resource busy"};
      }
    }
    t->sets.erase(o.name);
    t->elements.erase(o.name);
    return okStatus();
  }
  Status operator()(const AddChain& o) {
    auto* t = table(o.table);
    if (!t) return Error{"add chain " + o.chain.name + ": No such file or directory"};
    t->chains.emplace(o.chain.name, ChainDef{o.chain.name, o.chain.hook, {}});
    return okStatus();
  }
  Status operator()(const DeleteChain& o) {
    auto* t = table(o.table);
    if (!t || t->chains.count(o.name) == 0) return Error{"delete chain " + o.name + ": No such file or directory"};
    if (!t->chains[o.name].rules.empty()) return Error{"delete chain " + o.name + ": Device or resource busy"};
    for (const auto& [set, elements] : t->elements) {
      for (const auto& [key, data] : elements) {
        if (const auto* v = std::get_if<Verdict>(&data); v && v->chain == o.name) {
          return Error{"delete chain " + o.name + ": Device or resource busy"};
        }
      }
    }
    for (const auto& [name, chain] : t->chains) {
      for (const auto& r : chain.rules) {
        if (ruleTargetsChain(r, o.name)) return Error{"delete chain " + o.name + ": Device or resource busy"};
      }
    }
    t->chains.erase(o.name);
    return okStatus();
  }
  Status operator()(const FlushChain& o) {
    auto* t = table(o.table);
    if (!t || t->chains.count(o.name) == 0) return Error{"flush chain " + o.name + ": No such file or directory"};
    t->chains[o.name].rules.clear();
    return okStatus();
  }
  Status operator()(const AddRule& o) {
    auto* t = table(o.table);
    std::string what = "add rule to chain " + o.chain;
    if (!t || t->chains.count(o.chain) == 0) return Error{what + ": No such file or directory"};
    for (const auto& e : o.rule.exprs) {
      std::string set;
      if (const auto* l = std::get_if<Lookup>(&e)) set = l->set;
      if (const auto* d = std::get_if<Dynset>(&e)) set = d->set;
      if (!set.empty() && t->sets.count(set) == 0) return Error{what + ": No such file or directory (set " + set + ")"};
      if (const auto* r = std::get_if<Objref>(&e); r && t->objects.count(r->name) == 0) {
        return Error{what + ": No such file or directory (object " + r->name + ")"};
      }
      if (const auto* v = std::get_if<ImmediateVerdict>(&e); v && !v->verdict.chain.empty() &&
                                                              t->chains.count(v->verdict.chain) == 0) {
        return Error{what + ": No such file or directory (chain " + v->verdict.chain + ")"};
      }
    }
    t->chains[o.chain].rules.push_back(o.rule);
    return okStatus();
  }
  Status operator()(const AddElements& o) {
    auto* t = table(o.table);
    std::string what = "add element to set " + o.set;
    if (!t || t->sets.count(o.set) == 0) return Error{what + ": No such file or directory"};
    const SetDef& def = t->sets[o.set];
    auto& elements = t->elements[o.set];
    for (const auto& e : o.elements) {
      if (e.key.size() != def.keyLen) return Error{what + ": Invalid argument (key length)"};
      if (const auto* b = std::get_if<Bytes>(&e.data); b && b->size() != def.dataLen) {
        return Error{what + ": Invalid argument (data length)"};
      }
      if (const auto* v = std::get_if<Verdict>(&e.data); v && !v->chain.empty() && t->chains.count(v->chain) == 0) {
        return Error{what + ": No such file or directory (chain " + v->chain + ")"};
      }
      auto [it, inserted] = elements.emplace(e.key, e.data);
      if (!inserted && !(it->second == e.data)) return Error{what + ": File exists"};
    }
    return okStatus();
  }
  Status operator()(const DeleteElements& o) {
    auto* t = table(o.table);
    std::string what = "delete element from set " + o.set;
    if (!t || t->sets.count(o.set) == 0) return Error{what + ": No such file or directory"};
    auto& elements = t->elements[o.set];
    for (const auto& e : o.elements) {
      if (elements.erase(e.key) == 0) return Error{what + ": No such file or directory"};
    }
    return okStatus();
  }
  Status operator()(const AddObject& o) {
    auto* t = table(o.table);
    std::string what = "add " + objectKind(o.object) + " " + o.object.name;
    if (!t) return Error{what + ": No such file or directory"};
    // NLM_F_EXCL, as the writer sends it.
    if (!t->objects.emplace(o.object.name, o.object).second) return Error{what + ": File exists"};
    return okStatus();
  }
  Status operator()(const DeleteObject& o) {
    auto* t = table(o.table);
    std::string what = "delete " + objectKind(o.object) + " " + o.object.name;
    if (!t || t->objects.count(o.object.name) == 0)
      return Error{what + ": No such file or directory"};
    for (const auto& [name, chain] : t->chains) {
      for (const auto& r : chain.rules) {
        if (ruleUsesObject(r, o.object.name)) return Error{what + ": Device or resource busy"};
      }
    }
    t->objects.erase(o.object.name);
    return okStatus();
  }

 private:
  TableState* table(const TableId& id) {
    auto it = s_.tables.find(id);
    return it == s_.tables.end() ? nullptr : &it->second;
  }
  NftState& s_;
};

}  // namespace

Status FakeNftWriter::commit(const Transaction& tx) {
  last_ = tx;
  if (!failNext_.empty()) {
    std::string error = std::exchange(failNext_, {});
    return Error{error};
  }
  NftState next = state_;  // all or nothing, as one netlink batch
  Applier apply(next);
  for (const auto& op : tx.ops) {
    if (auto st = std::visit(apply, op); !st) return st;
  }
  // Owned sets exist in the element map even when empty, as render() produces them.
  for (auto& [id, t] : next.tables) {
    for (const auto& [name, set] : t.sets) {
      if (!set.dynamic) t.elements[name];
    }
  }
  state_ = std::move(next);
  ++commits_;
  return okStatus();
}

Result<std::vector<ElementCounter>> FakeNftWriter::readSetCounters(const TableId&, const std::string& set) {
  auto it = setCounters_.find(set);
  return it == setCounters_.end() ? std::vector<ElementCounter>{} : it->second;
}

Result<std::vector<RuleCounter>> FakeNftWriter::readChainCounters(const TableId&) { return chainCounters_; }

}  // namespace ha::director::nft

namespace ha::director::nft {

Result<std::vector<Element>> FakeNftWriter::readSetElements(const TableId& table, const std::string& set) {
  std::vector<Element> out;
  auto t = state_.tables.find(table);
  if (t == state_.tables.end() || t->second.sets.count(set) == 0) {
    return Error{"read elements of set " + set + ": No such file or directory"};
  }
  if (auto it = t->second.elements.find(set); it != t->second.elements.end()) {
    for (const auto& [key, data] : it->second) out.push_back(Element{key, data});
  }
  return out;
}

}  // namespace ha::director::nft
