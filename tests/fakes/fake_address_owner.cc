#include "tests/fakes/fake_address_owner.h"

#include <algorithm>

namespace ha::test {
namespace {

bool same(const OwnedAddress& a, const OwnedAddress& b) { return a.prefix == b.prefix && a.dev == b.dev; }

}  // namespace

bool FakeAddressTable::has(const OwnedAddress& address) const {
  return std::any_of(addresses_.begin(), addresses_.end(), [&](const OwnedAddress& a) { return same(a, address); });
}

void FakeAddressTable::put(const OwnedAddress& address) {
  if (!has(address)) addresses_.push_back(address);
}

void FakeAddressTable::drop(const OwnedAddress& address) {
  std::erase_if(addresses_, [&](const OwnedAddress& a) { return same(a, address); });
}

bool FakeAddressOwner::deviceExists(const std::string& dev) const {
  return std::find(kernel_.devices.begin(), kernel_.devices.end(), dev) != kernel_.devices.end();
}

Status FakeAddressOwner::add(const OwnedAddress& address, bool claimExisting) {
  if (owns(address)) return okStatus();
  if (!deviceExists(address.dev)) return Error{"add " + address.prefix.str() + " dev " + address.dev + ": No such device"};
  if (kernel_.has(address)) {
    if (!claimExisting) return okStatus();  // someone else's: fine, but not ours to remove
  } else {
    if (beforeKernelChange) beforeKernelChange("add", address);
    kernel_.put(address);
  }
  owned_.push_back(address);
  return okStatus();
}

Status FakeAddressOwner::remove(const OwnedAddress& address) {
  auto it = std::find_if(owned_.begin(), owned_.end(), [&](const OwnedAddress& o) { return same(o, address); });
  if (it == owned_.end()) return okStatus();
  if (beforeKernelChange) beforeKernelChange("del", address);
  kernel_.drop(address);
  owned_.erase(it);
  return okStatus();
}

Status FakeAddressOwner::purge(const OwnedAddress& address) {
  if (owns(address)) return remove(address);
  if (beforeKernelChange) beforeKernelChange("del", address);
  kernel_.drop(address);
  return okStatus();
}

Result<uint32_t> FakeAddressOwner::ifindex(const std::string& dev) {
  auto it = std::find(kernel_.devices.begin(), kernel_.devices.end(), dev);
  if (it == kernel_.devices.end()) return Error{"device " + dev + ": No such device"};
  return static_cast<uint32_t>(it - kernel_.devices.begin() + 1);
}

}  // namespace ha::test
