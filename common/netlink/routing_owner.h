#pragma once
// Installs and removes the routes and policy rules directord is responsible for
// (static_routes/static_rules on the director thread, virtual_routes/virtual_rules on the VRRP
// thread), remembering what it installed so it removes exactly that: the AddressOwner of routes.
#include <algorithm>
#include <vector>

#include "common/netlink/routing_entry.h"
#include "common/result.h"

namespace ha {

class RoutingOwner {
 public:
  enum class Added : uint8_t {
    kInstalled,     // ours now: removed by remove() and at stop
    kFoundPresent,  // the kernel had it already (EEXIST): someone else's, never removed by us
  };
  virtual ~RoutingOwner() = default;
  virtual Result<Added> add(const RoutingEntry& entry) = 0;
  // Removes an entry this owner installed; any other is left alone. Gone already is success.
  virtual Status remove(const RoutingEntry& entry) = 0;
  // Adds it, and a present one counts as ours: the ledger says a predecessor installed it.
  virtual Status claim(const RoutingEntry& entry) = 0;
  // Removes it whoever installed it (the ledger's reclaim of a predecessor's entry).
  virtual Status purge(const RoutingEntry& entry) = 0;
  virtual std::vector<RoutingEntry> owned() const = 0;
  bool owns(const RoutingEntry& entry) const {
    const auto all = owned();
    return std::find(all.begin(), all.end(), entry) != all.end();
  }
};

}  // namespace ha
