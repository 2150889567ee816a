#pragma once
// AddressOwner over rtnetlink (libnl-route-3): `ip addr add/del` done by the daemon, remembering
// what it added so shutdown removes exactly that. One netlink socket; use from one thread.
#include <memory>
#include <string>
#include <vector>

#include "common/netlink/address_owner.h"
#include "common/netlink/route_socket.h"

struct nl_sock;

namespace ha {

class NetlinkAddressOwner final : public AddressOwner {
 public:
  // Connects on first use; a failure to connect is then reported by that call.
  NetlinkAddressOwner();
  // Connects now, so a missing capability is reported at start-up rather than at the first VIP.
  static Result<std::unique_ptr<NetlinkAddressOwner>> open();
  ~NetlinkAddressOwner() override;
  NetlinkAddressOwner(const NetlinkAddressOwner&) = delete;
  NetlinkAddressOwner& operator=(const NetlinkAddressOwner&) = delete;

  // IPv6 addresses skip DAD (IFA_F_NODAD): a VIP taken over on failover must answer at once.
  // A label is IPv4-only and must start with the device name, as `ip addr` requires.
  Status add(const OwnedAddress& address) override;
  Status remove(const OwnedAddress& address) override;
  Status claim(const OwnedAddress& address) override;
  Status purge(const OwnedAddress& address) override;
  std::vector<OwnedAddress> owned() const override { return owned_; }
  bool owns(const OwnedAddress& address) const override;
  // Every address configured in this namespace now (whoever added it), for the start-up reclaim.
  Result<std::vector<OwnedAddress>> present();
  Result<uint32_t> ifindex(const std::string& dev) override;

  // Shutdown: removes everything this owner added, carrying on past failures and naming them all.
  Status removeAll();

 private:
  Status connect();
  Status add(const OwnedAddress& address, bool claimExisting);
  // The device's index, or the kernel's reason in words ("No such device").
  Result<int> lookupIndex(const std::string& dev);
  std::vector<OwnedAddress>::iterator findOwned(const OwnedAddress& address);

  RouteSocket sock_;
  std::vector<OwnedAddress> owned_;  // in the order added
};

}  // namespace ha
