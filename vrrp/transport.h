#pragma once
// The I/O edges of a VRRP router, as ports (docs/style.md §3): raw-socket transport, address
// announcements (gratuitous ARP / unsolicited NA) and link state. Production adapters are
// raw_socket_transport.h, packet_announcer.h and netlink_link_monitor.h; tests use fakes.
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "common/ip_address.h"
#include "common/result.h"
#include "vrrp/packet.h"

namespace ha::vrrp {

inline const IpAddress& multicastGroup(Family family) {
  static const IpAddress v4 = *IpAddress::parse("224.0.0.18");  // RFC 5798 §5.1.1.2
  static const IpAddress v6 = *IpAddress::parse("ff02::12");    // RFC 5798 §5.1.2.2
  return family == Family::kV4 ? v4 : v6;
}

// A VRRP packet as it arrived, IP header stripped. Delivered only when it carried protocol 112;
// TTL/hop limit is in ctx and checked by the router (so a wrong one is counted, not lost).
struct ReceivedPacket {
  uint32_t ifindex = 0;
  PacketContext ctx;
  std::span<const uint8_t> payload;
};

class Transport {
 public:
  using Receiver = std::function<void(const ReceivedPacket&)>;
  virtual ~Transport() = default;
  // Starts receiving VRRP on the interface for the family (joins 224.0.0.18 / ff02::12 there);
  // packets reach the receiver on the io_context thread. Idempotent per (ifindex, family).
  virtual Status attach(uint32_t ifindex, Family family) = 0;
  virtual void detach(uint32_t ifindex, Family family) = 0;
  // Sends one VRRP message (already encoded) with TTL/hop limit 255 out of the interface, from
  // `source` (must be an address of the interface: its primary IPv4 or IPv6 link-local).
  virtual Status send(uint32_t ifindex, const IpAddress& source, const IpAddress& destination,
                      std::span<const uint8_t> payload) = 0;
};

class Announcer {
 public:
  virtual ~Announcer() = default;
  // One gratuitous ARP (IPv4: ARP request, sender = target = address, broadcast) or unsolicited
  // neighbour advertisement (IPv6: to ff02::1, override flag, target link-layer address option).
  virtual Status announce(uint32_t ifindex, const IpAddress& address) = 0;
};

struct LinkState {
  uint32_t ifindex = 0;
  std::string name;
  bool up = false;  // IFF_UP and IFF_RUNNING (carrier)
};

class LinkMonitor {
 public:
  using Listener = std::function<void(const LinkState&)>;
  virtual ~LinkMonitor() = default;
  virtual Result<LinkState> link(const std::string& name) = 0;
  // The source VRRP uses on this interface: the first IPv4 address (not one of `exclude`, which
  // holds the VIPs), or the IPv6 link-local (RFC 5798 §5.1.2.1).
  virtual Result<IpAddress> primaryAddress(uint32_t ifindex, Family family,
                                           std::span<const IpAddress> exclude) = 0;
  // Link changes (up/down, carrier) arrive on the io_context thread.
  virtual void subscribe(Listener listener) = 0;
};

}  // namespace ha::vrrp
