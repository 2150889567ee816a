#pragma once
// A stateful stand-in for the routes and rules of one network namespace and for
// NetlinkRoutingOwner on top of it: FakeRoutingTable is the "kernel" (shared by several owners and
// outliving them, as routes outlive a kill -9); FakeRoutingOwner adds with EEXIST semantics,
// remembers what it installed and removes only that (claim and purge as the interface says).
#include <string>
#include <vector>

#include "common/netlink/routing_owner.h"

namespace ha::test {

class FakeRoutingTable {
 public:
  bool has(const RoutingEntry& entry) const;
  // As `ip route add` / `ip rule add` by someone else (an operator, a predecessor).
  void put(const RoutingEntry& entry);
  void drop(const RoutingEntry& entry);
  const std::vector<RoutingEntry>& all() const { return entries_; }
  // Every change made through an owner, "add ..." / "del ...", in order.
  std::vector<std::string> changes;
  // Devices that exist; a route on any other is refused with "No such device".
  std::vector<std::string> devices{"lan0", "lan1", "lo"};

 private:
  std::vector<RoutingEntry> entries_;
};

class FakeRoutingOwner final : public RoutingOwner {
 public:
  explicit FakeRoutingOwner(FakeRoutingTable& kernel) : kernel_(kernel) {}
  Result<Added> add(const RoutingEntry& entry) override;
  Status remove(const RoutingEntry& entry) override;
  Status claim(const RoutingEntry& entry) override;
  Status purge(const RoutingEntry& entry) override;
  std::vector<RoutingEntry> owned() const override { return owned_; }

 private:
  Status install(const RoutingEntry& entry);
  FakeRoutingTable& kernel_;
  std::vector<RoutingEntry> owned_;
};

}  // namespace ha::test
