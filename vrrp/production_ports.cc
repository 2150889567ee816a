// The kernel-facing ports vrrp::Service runs on in production; the composition root
// (director/main) hands them to Service::open.
#include "common/child_process.h"
#include "common/netlink/netlink_address_owner.h"
#include "common/netlink/netlink_routing_owner.h"
#include "vrrp/asio_timers.h"
#include "vrrp/netlink_link_monitor.h"
#include "vrrp/packet_announcer.h"
#include "vrrp/raw_socket_transport.h"
#include "vrrp/service.h"

namespace ha::vrrp {

ServicePorts productionPorts(AddressOwnerFactory addressOwner, RoutingOwnerFactory routingOwner) {
  ServicePorts ports;
  ports.openAddressOwner =
      addressOwner ? std::move(addressOwner) : []() -> Result<std::unique_ptr<AddressOwner>> {
    auto owner = NetlinkAddressOwner::open();
    if (!owner) return Error{owner.error()};
    return std::unique_ptr<AddressOwner>(std::move(owner.value()));
  };
  ports.openRoutingOwner =
      routingOwner ? std::move(routingOwner) : []() -> Result<std::unique_ptr<RoutingOwner>> {
    auto owner = NetlinkRoutingOwner::open();
    if (!owner) return Error{owner.error()};
    return std::unique_ptr<RoutingOwner>(std::move(owner.value()));
  };
  // rtnetlink is opened now, so a missing capability is reported at start-up.
  ports.openLinks = [](boost::asio::io_context& io) -> Result<std::unique_ptr<LinkMonitor>> {
    auto links = NetlinkLinkMonitor::open(io);
    if (!links) return Error{links.error()};
    return std::unique_ptr<LinkMonitor>(std::move(links.value()));
  };
  ports.openTransport = [](boost::asio::io_context& io,
                           Transport::Receiver receiver) -> Result<std::unique_ptr<Transport>> {
    return std::unique_ptr<Transport>(
        std::make_unique<RawSocketTransport>(io, std::move(receiver)));
  };
  ports.openAnnouncer = [](boost::asio::io_context& io) -> Result<std::unique_ptr<Announcer>> {
    return std::unique_ptr<Announcer>(std::make_unique<PacketAnnouncer>(io));
  };
  ports.makeProcessRunner = makeChildProcessRunner;
  ports.makeTimers = [](boost::asio::io_context& io) -> std::unique_ptr<Timers> {
    return std::make_unique<AsioTimers>(io);
  };
  return ports;
}

}  // namespace ha::vrrp
