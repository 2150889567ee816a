#pragma once
// RoutingOwner over rtnetlink (libnl-route-3): `ip route add|del` and `ip rule add|del` done by
// the daemon. Routes are added as keepalived adds them (prepend unless `add`/`append`), rules
// with NLM_F_EXCL; every request carries the entry's protocol (keepalived's 18 unless the config
// says otherwise), so a delete matches our entry and never an operator's look-alike of another
// protocol. One netlink socket; use from one thread.
#include <memory>
#include <vector>

#include "common/netlink/route_socket.h"
#include "common/netlink/routing_owner.h"

namespace ha {

class NetlinkRoutingOwner final : public RoutingOwner {
 public:
  // Connects now, so a missing capability is reported at start-up.
  static Result<std::unique_ptr<NetlinkRoutingOwner>> open();

  Result<Added> add(const RoutingEntry& entry) override;
  Status remove(const RoutingEntry& entry) override;
  Status claim(const RoutingEntry& entry) override;
  Status purge(const RoutingEntry& entry) override;
  std::vector<RoutingEntry> owned() const override { return owned_; }

 private:
  explicit NetlinkRoutingOwner(RouteSocket sock) : sock_(std::move(sock)) {}
  // The kernel's answer: 0, or libnl's negative error.
  int send(const RoutingEntry& entry, bool add);

  RouteSocket sock_;
  std::vector<RoutingEntry> owned_;  // in the order installed
};

}  // namespace ha
