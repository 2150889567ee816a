#pragma once
// Adds and removes the addresses directord is responsible for (VIPs, FULLNAT local addresses),
// remembering what it added so it removes exactly that on stop. The director uses it for static_ipaddress; vrrp/ for virtual_ipaddress.
#include <cstdint>
#include <string>
#include <vector>

#include "common/ip_address.h"
#include "common/result.h"

namespace ha {

struct OwnedAddress {
  IpPrefix prefix;
  std::string dev;
  std::string label;
  auto operator<=>(const OwnedAddress&) const = default;
};

class AddressOwner {
 public:
  virtual ~AddressOwner() = default;
  // Present already (added by someone else) counts as success, but is not ours to remove.
  virtual Status add(const OwnedAddress& address) = 0;
  // Removes an address this owner added; others are left alone.
  virtual Status remove(const OwnedAddress& address) = 0;
  // VRRP addresses belong to the instance: a present address is claimed (removed on release) ...
  virtual Status claim(const OwnedAddress& address) = 0;
  // ... and one found on a backup (left by a crashed predecessor) is removed whoever added it.
  virtual Status purge(const OwnedAddress& address) = 0;
  virtual std::vector<OwnedAddress> owned() const = 0;
  // Whether this owner holds the address (by prefix and device: the label is decoration).
  virtual bool owns(const OwnedAddress& address) const {
    for (const auto& o : owned()) {
      if (o.prefix == address.prefix && o.dev == address.dev) return true;
    }
    return false;
  }
  virtual Result<uint32_t> ifindex(const std::string& dev) = 0;
};

}  // namespace ha
