#include "vrrp/packet_announcer.h"

#include <linux/if_packet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <netinet/if_ether.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "vrrp/ipv6_pktinfo.h"
#include "vrrp/send_datagram.h"

namespace ha::vrrp {
namespace {

constexpr uint8_t kNdHopLimit = 255;           // RFC 4861 §7.1.2: receivers drop anything else
constexpr uint8_t kNeighbourAdvertType = 136;  // RFC 4861 §4.4
constexpr uint8_t kNaFlagRouter = 0x80;        // R = 0x80, S = 0x40, O = 0x20
constexpr uint8_t kNaFlagOverride = 0x20;
constexpr uint8_t kOptionTargetLinkLayer = 2;  // RFC 4861 §4.6.1

std::string errnoText(int err) { return std::strerror(err); }

template <typename T>
Status setOption(int fd, int level, int option, const T& value, std::string_view what) {
  if (::setsockopt(fd, level, option, &value, sizeof value) < 0) {
    return Error{std::string(what) + ": " + errnoText(errno)};
  }
  return okStatus();
}

template <typename Socket, typename Protocol>
Status adopt(Socket& socket, const Protocol& protocol, int fd, std::string_view what) {
  if (fd < 0) return Error{std::string(what) + ": " + errnoText(errno)};
  boost::system::error_code ec;
  socket.assign(protocol, fd, ec);
  if (ec) {
    ::close(fd);
    return Error{std::string(what) + ": " + ec.message()};
  }
  return okStatus();
}

// SIOCGIFHWADDR: the MAC the frames carry. Anything but a 6-byte Ethernet-like address is refused:
// ARP and the NA option below are laid out for it.
Result<MacAddress> hardwareAddress(int fd, const std::string& name) {
  ifreq req{};
  std::memcpy(req.ifr_name, name.c_str(), std::min(name.size(), sizeof req.ifr_name - 1));
  if (::ioctl(fd, SIOCGIFHWADDR, &req) < 0) return Error{"hardware address: " + errnoText(errno)};
  if (req.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
    return Error{"not an Ethernet interface (hardware type " +
                 std::to_string(req.ifr_hwaddr.sa_family) + ")"};
  }
  MacAddress mac;
  std::memcpy(mac.data(), req.ifr_hwaddr.sa_data, mac.size());
  return mac;
}

}  // namespace

std::array<uint8_t, 28> gratuitousArp(const MacAddress& mac, const IpAddress& address) {
  std::array<uint8_t, 28> a{};
  a[0] = 0x00;  // hardware type 1: Ethernet (RFC 826)
  a[1] = 0x01;
  a[2] = 0x08;  // protocol type 0x0800: IPv4
  a[3] = 0x00;
  a[4] = 6;  // hardware address length
  a[5] = 4;  // protocol address length
  a[6] = 0x00;
  a[7] = ARPOP_REQUEST;               // a request, so every neighbour processes it (RFC 5227 §3)
  std::memcpy(&a[8], mac.data(), 6);  // sender hardware address
  std::memcpy(&a[14], address.bytes(), 4);  // sender protocol address
  std::memset(&a[18], 0, 6);                // target hardware address: zero (RFC 5227 §2.3)
  std::memcpy(&a[24], address.bytes(), 4);  // target protocol address = sender's
  return a;
}

std::array<uint8_t, 32> unsolicitedNeighbourAdvert(const MacAddress& mac,
                                                   const IpAddress& address) {
  std::array<uint8_t, 32> na{};
  na[0] = kNeighbourAdvertType;
  na[1] = 0;                // code
  // RFC 5798 §6.4.1: R set (a virtual router's address may be a host's default router, and R=0
  // would drop it from the default router list, RFC 4861 §7.2.5), S unset (unsolicited), O set so
  // caches take the new MAC at once.
  na[4] = kNaFlagRouter | kNaFlagOverride;
  std::memcpy(&na[8], address.bytes(), 16);
  na[24] = kOptionTargetLinkLayer;
  na[25] = 1;  // option length in units of 8 bytes
  std::memcpy(&na[26], mac.data(), 6);
  return na;
}

PacketAnnouncer::PacketAnnouncer(boost::asio::io_context& io) : arp_(io), icmp6_(io) {}

PacketAnnouncer::~PacketAnnouncer() = default;

Status PacketAnnouncer::announce(uint32_t ifindex, const IpAddress& address) {
  const std::string what =
      std::string(address.isV4() ? "gratuitous ARP" : "unsolicited neighbour advert") + " for " +
      address.str();
  char name[IF_NAMESIZE] = {};
  if (!if_indextoname(ifindex, name)) {
    return Error{what + " on interface index " + std::to_string(ifindex) + ": No such device"};
  }
  Status st =
      address.isV4() ? announceV4(ifindex, name, address) : announceV6(ifindex, name, address);
  if (!st) return Error{what + " on " + name + ": " + st.error()};
  return okStatus();
}

Status PacketAnnouncer::openArp() {
  if (arp_.is_open()) return okStatus();
  // SOCK_DGRAM: the kernel writes the Ethernet header (source = the interface's MAC). Protocol 0:
  // the socket receives nothing. CLOEXEC: notify scripts must not inherit it.
  int fd = ::socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  return adopt(arp_, boost::asio::generic::datagram_protocol(AF_PACKET, 0), fd, "packet socket");
}

Status PacketAnnouncer::openIcmp6() {
  if (icmp6_.is_open()) return okStatus();
  int fd = ::socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
  auto protocol = boost::asio::generic::raw_protocol(AF_INET6, IPPROTO_ICMPV6);
  if (auto st = adopt(icmp6_, protocol, fd, "ICMPv6 socket"); !st) return st;
  fd = icmp6_.native_handle();
  // Send-only: without the filter every ICMPv6 message on the host would queue up here.
  icmp6_filter filter;
  ICMP6_FILTER_SETBLOCKALL(&filter);
  const int hops = kNdHopLimit;
  const int off = 0;
  Status st = setOption(fd, IPPROTO_ICMPV6, ICMP6_FILTER, filter, "ICMP6_FILTER");
  if (st) st = setOption(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, hops, "IPV6_MULTICAST_HOPS");
  if (st) st = setOption(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, hops, "IPV6_UNICAST_HOPS");
  // Our own stack would only see its address advertised back to it.
  if (st) st = setOption(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, off, "IPV6_MULTICAST_LOOP");
  if (!st) {
    boost::system::error_code ignored;
    icmp6_.close(ignored);
  }
  return st;
}

Status PacketAnnouncer::announceV4(uint32_t ifindex, const std::string& name,
                                   const IpAddress& address) {
  if (auto st = openArp(); !st) return st;
  const int fd = arp_.native_handle();
  auto mac = hardwareAddress(fd, name);
  if (!mac) return Error{mac.error()};
  auto body = gratuitousArp(*mac, address);

  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_protocol = htons(ETH_P_ARP);
  to.sll_ifindex = static_cast<int>(ifindex);
  to.sll_halen = 6;
  std::memset(to.sll_addr, 0xff, 6);  // broadcast: everyone on the segment updates
  iovec iov{body.data(), body.size()};
  msghdr msg{};
  msg.msg_name = &to;
  msg.msg_namelen = sizeof to;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  return sendDatagram(fd, msg, body.size());
}

Status PacketAnnouncer::announceV6(uint32_t ifindex, const std::string& name,
                                   const IpAddress& address) {
  if (auto st = openIcmp6(); !st) return st;
  const int fd = icmp6_.native_handle();
  auto mac = hardwareAddress(fd, name);
  if (!mac) return Error{mac.error()};
  auto body = unsolicitedNeighbourAdvert(*mac, address);

  static const IpAddress kAllNodes = *IpAddress::parse("ff02::1");  // RFC 4861 §7.2.6
  // The interface, with the source left unspecified: the kernel picks the interface's link-local
  // address for ff02::1 (RFC 6724 rule 2, matching scope). RFC 4861 §7.2.6 asks only for "an
  // address of the interface"; Linux's own unsolicited NAs use the target itself, keepalived too.
  Ipv6PktinfoMessage message(kAllNodes, ifindex, nullptr, body);
  return sendDatagram(fd, message.msg(), body.size());
}

}  // namespace ha::vrrp
