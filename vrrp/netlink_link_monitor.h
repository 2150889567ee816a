#pragma once
// vrrp::LinkMonitor over rtnetlink. Queries (link, primaryAddress) go through libnl-route-3 on a
// socket of their own; changes come from a second, raw rtnetlink socket subscribed to
// RTNLGRP_LINK and read on the io_context:
//
//   RTM_GETLINK dump (at start, and again after ENOBUFS) ─┐
//   RTM_NEWLINK / RTM_DELLINK (RTNLGRP_LINK)             ─┴─> up = IFF_UP && IFF_RUNNING
//        -> listeners, only when `up` changes for an ifindex (first sighting and deletion always)
//
// Links change flags for many reasons (promiscuity, MTU, statistics); listeners hear only the
// transitions VRRP cares about. Every listener first hears each link's current state once (from
// the dump, or replayed when it subscribes later), so nothing falls between link() and
// subscribe(). Used only from the io_context's thread.
#include <boost/asio/generic/raw_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/netlink/route_socket.h"
#include "vrrp/transport.h"

struct nl_sock;

namespace ha::vrrp {

class NetlinkLinkMonitor final : public LinkMonitor {
 public:
  // Connects on first use; subscribe() logs a failure it cannot return.
  explicit NetlinkLinkMonitor(boost::asio::io_context& io);
  // Opens both sockets now, so a missing capability is reported at start-up.
  static Result<std::unique_ptr<NetlinkLinkMonitor>> open(boost::asio::io_context& io);
  ~NetlinkLinkMonitor() override;
  NetlinkLinkMonitor(const NetlinkLinkMonitor&) = delete;
  NetlinkLinkMonitor& operator=(const NetlinkLinkMonitor&) = delete;

  // "interface lan9: No such device"
  Result<LinkState> link(const std::string& name) override;
  // IPv4: the first address in the kernel's order (primaries before secondaries) not in `exclude`.
  // IPv6: the link-local address, once duplicate address detection has passed (a tentative
  // address cannot be a source: the kernel refuses it).
  Result<IpAddress> primaryAddress(uint32_t ifindex, Family family,
                                   std::span<const IpAddress> exclude) override;
  void subscribe(Listener listener) override;

 private:
  struct Watch;

  Status connect();
  Status watch();
  Status requestDump();
  void arm();
  void onReadable();
  void onMessages(std::span<const uint8_t> data);
  void onLink(bool deleted, std::span<const uint8_t> body);

  boost::asio::io_context& io_;
  RouteSocket sock_;
  std::shared_ptr<Watch> watch_;
  std::vector<Listener> listeners_;
  std::map<uint32_t, LinkState> links_;  // last state told, per ifindex
};

}  // namespace ha::vrrp
