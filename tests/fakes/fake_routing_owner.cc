#include "tests/fakes/fake_routing_owner.h"

#include <algorithm>

namespace ha::test {

bool FakeRoutingTable::has(const RoutingEntry& entry) const {
  return std::find(entries_.begin(), entries_.end(), entry) != entries_.end();
}

void FakeRoutingTable::put(const RoutingEntry& entry) {
  if (!has(entry)) entries_.push_back(entry);
}

void FakeRoutingTable::drop(const RoutingEntry& entry) { std::erase(entries_, entry); }

Status FakeRoutingOwner::install(const RoutingEntry& entry) {
  if (const auto* r = std::get_if<RouteSpec>(&entry); r != nullptr && !r->dev.empty()) {
    const auto& devs = kernel_.devices;
    if (std::find(devs.begin(), devs.end(), r->dev) == devs.end()) {
      return Error{"add " + describe(entry) + ": No such device"};
    }
  }
  kernel_.changes.push_back("add " + describe(entry));
  kernel_.put(entry);
  return okStatus();
}

Result<RoutingOwner::Added> FakeRoutingOwner::add(const RoutingEntry& entry) {
  if (owns(entry)) return Added::kInstalled;
  if (kernel_.has(entry)) return Added::kFoundPresent;
  if (auto st = install(entry); !st) return Error{st.error()};
  owned_.push_back(entry);
  return Added::kInstalled;
}

Status FakeRoutingOwner::claim(const RoutingEntry& entry) {
  if (owns(entry)) return okStatus();
  if (!kernel_.has(entry)) {
    if (auto st = install(entry); !st) return st;
  }
  owned_.push_back(entry);
  return okStatus();
}

Status FakeRoutingOwner::remove(const RoutingEntry& entry) {
  if (!owns(entry)) return okStatus();
  return purge(entry);
}

Status FakeRoutingOwner::purge(const RoutingEntry& entry) {
  if (kernel_.has(entry)) {
    kernel_.changes.push_back("del " + describe(entry));
    kernel_.drop(entry);
  }
  std::erase(owned_, entry);
  return okStatus();
}

}  // namespace ha::test
