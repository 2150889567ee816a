#pragma once
// vrrp::Announcer on packet sockets: after taking a virtual address the new master tells the LAN
// that it now answers for it, so neighbours repoint their caches at once instead of waiting for
// their entries to go stale (RFC 5798 §6.4.1, §8.1.2).
//
//   IPv4: gratuitous ARP request  AF_PACKET/SOCK_DGRAM -> ff:ff:ff:ff:ff:ff
//   IPv6: unsolicited NA          raw ICMPv6           -> ff02::1, hop limit 255 (RFC 4861 §7.2.6)
//
// Both sockets are opened on first use, shared by every interface (the interface is chosen per
// packet: sll_ifindex, IPV6_PKTINFO), and never read: the packet socket has protocol 0, the
// ICMPv6 socket an ICMP6_FILTER that blocks everything. Used only from the io_context's thread.
#include <array>
#include <boost/asio/generic/datagram_protocol.hpp>
#include <boost/asio/generic/raw_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdint>

#include "vrrp/transport.h"

namespace ha::vrrp {

using MacAddress = std::array<uint8_t, 6>;

// The ARP body (after the Ethernet header) of a gratuitous ARP request (RFC 5227 §2.3, "ARP
// Announcement"): sender = target = the address, sender hardware = mac, target hardware zero.
// keepalived puts ff:ff:ff:ff:ff:ff in the target hardware field; RFC 5227 says it SHOULD be zero
// and receivers ignore it, and Linux's own announcements (arp_notify) send zero too.
std::array<uint8_t, 28> gratuitousArp(const MacAddress& mac, const IpAddress& address);

// The ICMPv6 body of an unsolicited neighbour advertisement (RFC 4861 §4.4, §7.2.6): Override set,
// Solicited clear (it answers nobody), Router clear, target = the address, and the target
// link-layer address option (type 2) = mac. Checksum left 0: the kernel computes it on raw ICMPv6
// sockets (RFC 3542 §3.1).
std::array<uint8_t, 32> unsolicitedNeighbourAdvert(const MacAddress& mac, const IpAddress& address);

class PacketAnnouncer final : public Announcer {
 public:
  explicit PacketAnnouncer(boost::asio::io_context& io);
  ~PacketAnnouncer() override;
  PacketAnnouncer(const PacketAnnouncer&) = delete;
  PacketAnnouncer& operator=(const PacketAnnouncer&) = delete;

  // The interface must be Ethernet-like (a 6-byte hardware address). The NA leaves from the
  // interface's link-local address, picked by the kernel's source selection (RFC 6724).
  Status announce(uint32_t ifindex, const IpAddress& address) override;

 private:
  Status announceV4(uint32_t ifindex, const std::string& name, const IpAddress& address);
  Status announceV6(uint32_t ifindex, const std::string& name, const IpAddress& address);
  Status openArp();
  Status openIcmp6();

  boost::asio::generic::datagram_protocol::socket arp_;
  boost::asio::generic::raw_protocol::socket icmp6_;
};

}  // namespace ha::vrrp
