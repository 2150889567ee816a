#pragma once
// A stateful stand-in for the addresses of one network namespace and for NetlinkAddressOwner's
// rules on top of it: FakeAddressTable is the "kernel" (shared by several owners, and outliving
// them the way addresses outlive a kill -9); FakeAddressOwner adds to it with EEXIST semantics,
// remembers what it added and removes only that (claim and purge as the interface says).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/netlink/address_owner.h"

namespace ha::test {

class FakeAddressTable {
 public:
  bool has(const OwnedAddress& address) const;
  // As `ip addr add` by someone else (an operator, a predecessor).
  void put(const OwnedAddress& address);
  void drop(const OwnedAddress& address);
  const std::vector<OwnedAddress>& all() const { return addresses_; }
  // Devices that exist; an address on any other is refused with "No such device".
  std::vector<std::string> devices{"lan0", "lo"};

 private:
  std::vector<OwnedAddress> addresses_;
};

class FakeAddressOwner final : public AddressOwner {
 public:
  explicit FakeAddressOwner(FakeAddressTable& kernel) : kernel_(kernel) {}
  Status add(const OwnedAddress& address) override { return add(address, false); }
  Status remove(const OwnedAddress& address) override;
  Status claim(const OwnedAddress& address) override { return add(address, true); }
  Status purge(const OwnedAddress& address) override;
  std::vector<OwnedAddress> owned() const override { return owned_; }
  Result<uint32_t> ifindex(const std::string& dev) override;
  // Called before every change the owner makes to the kernel (tests check ordering with it).
  std::function<void(const char* op, const OwnedAddress&)> beforeKernelChange;

 private:
  Status add(const OwnedAddress& address, bool claimExisting);
  bool deviceExists(const std::string& dev) const;
  FakeAddressTable& kernel_;
  std::vector<OwnedAddress> owned_;
};

}  // namespace ha::test
