#pragma once
// vrrp::Transport over raw IP sockets of protocol 112, one per (interface, family), each bound to
// its device and read on the VRRP io_context. Used only from that io_context's thread.
//
//   attach(lan0, v4) -> socket(AF_INET, SOCK_RAW, 112) + SO_BINDTODEVICE + join 224.0.0.18
//   attach(lan0, v6) -> socket(AF_INET6, SOCK_RAW, 112) + SO_BINDTODEVICE + join ff02::12
//   readable         -> recvmsg until EAGAIN -> strip/parse IP header -> Receiver
//
// IPv4 sends carry a header we build (IP_HDRINCL, as keepalived does): TTL 255 for unicast and
// multicast alike (RFC 5798 §5.1.1.3), TOS 0xc0 (internetwork control), DF clear, source exactly
// the one given. IPv6 sends use IPV6_PKTINFO for source and interface, hop limit 255 set on the
// socket (RFC 5798 §5.1.2.3); the VRRP checksum comes from vrrp::encode(), so no IPV6_CHECKSUM.
// Multicast loopback is off, so our own adverts never come back; a packet from one of our own
// addresses would still be delivered and is the router's to judge.
#include <boost/asio/generic/raw_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "vrrp/transport.h"

struct msghdr;

namespace ha::vrrp {

// What a raw IPv4 socket hands over in front of each datagram (RFC 791 §3.1).
struct Ipv4Header {
  size_t headerLength = 0;  // IHL * 4, options included
  size_t totalLength = 0;   // header + payload, as the header says
  uint8_t ttl = 0;
  uint8_t protocol = 0;
  IpAddress source;
  IpAddress destination;
};
// nullopt when the bytes cannot hold what the header claims (version, IHL, total length); bytes
// past the total length (link padding) are ignored.
std::optional<Ipv4Header> parseIpv4Header(std::span<const uint8_t> datagram);

// Socket-level trouble, before any VRRP decoding; the router counts the VRRP-level drops.
struct TransportCounters {
  uint64_t received = 0;  // handed to the receiver
  uint64_t sent = 0;
  uint64_t truncated = 0;     // larger than the buffer, or control data cut (MSG_TRUNC/CTRUNC)
  uint64_t badIpHeader = 0;   // IPv4 header shorter or longer than the datagram allows
  uint64_t notVrrp = 0;       // IP protocol other than 112 on a protocol-112 socket
  uint64_t noPacketInfo = 0;  // IPv6 without source, IPV6_PKTINFO or IPV6_HOPLIMIT data
  uint64_t receiveErrors = 0;
  uint64_t sendErrors = 0;
};

class RawSocketTransport final : public Transport {
 public:
  RawSocketTransport(boost::asio::io_context& io, Receiver receiver);
  ~RawSocketTransport() override;
  RawSocketTransport(const RawSocketTransport&) = delete;
  RawSocketTransport& operator=(const RawSocketTransport&) = delete;

  Status attach(uint32_t ifindex, Family family) override;
  void detach(uint32_t ifindex, Family family) override;
  // Refused unless (ifindex, family of source) is attached: the socket that sends is the one that
  // joined the group and is bound to the device.
  Status send(uint32_t ifindex, const IpAddress& source, const IpAddress& destination,
              std::span<const uint8_t> payload) override;

  const TransportCounters& counters() const { return counters_; }

 private:
  struct Channel;
  using Key = std::pair<uint32_t, Family>;

  Result<std::shared_ptr<Channel>> openChannel(uint32_t ifindex, Family family);
  void arm(const std::shared_ptr<Channel>& channel);
  void onReadable(const std::shared_ptr<Channel>& channel);
  void deliverV4(Channel& channel, size_t length);
  void deliverV6(Channel& channel, size_t length, msghdr& msg);
  Status sendV4(Channel& channel, const IpAddress& source, const IpAddress& destination,
                std::span<const uint8_t> payload);
  Status sendV6(Channel& channel, const IpAddress& source, const IpAddress& destination,
                std::span<const uint8_t> payload);

  boost::asio::io_context& io_;
  Receiver receiver_;
  std::map<Key, std::shared_ptr<Channel>> channels_;
  TransportCounters counters_;
};

}  // namespace ha::vrrp
