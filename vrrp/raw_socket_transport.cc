#include "vrrp/raw_socket_transport.h"

#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <string>

#include "common/log.h"
#include "vrrp/ipv6_pktinfo.h"
#include "vrrp/send_datagram.h"

namespace ha::vrrp {
namespace {

// A whole IP datagram fits, so MSG_TRUNC means something is badly wrong, not a big advert.
constexpr size_t kReceiveBufferSize = 65536;
// Datagrams read per wake-up before the loop yields to timers (and carries on through post()).
constexpr int kMaxPerWakeup = 64;
constexpr size_t kIpv4HeaderSize = 20;  // RFC 791 §3.1, no options
// Precedence 6, "internetwork control" (RFC 791 §3.1), as keepalived sends: switches that
// prioritise by TOS/DSCP keep adverts ahead of the load they fail over.
constexpr uint8_t kTosInternetworkControl = 0xc0;

std::string errnoText(int err) { return std::strerror(err); }
std::string familyName(Family family) { return family == Family::kV4 ? "IPv4" : "IPv6"; }

std::string interfaceName(uint32_t ifindex) {
  char name[IF_NAMESIZE] = {};
  if (if_indextoname(ifindex, name)) return name;
  return "interface index " + std::to_string(ifindex);
}

template <typename T>
Status setOption(int fd, int level, int option, const T& value, std::string_view what) {
  if (::setsockopt(fd, level, option, &value, sizeof value) < 0) {
    return Error{std::string(what) + ": " + errnoText(errno)};
  }
  return okStatus();
}

Status configureV4(int fd, uint32_t ifindex) {
  const int on = 1;
  const int off = 0;
  if (auto st = setOption(fd, IPPROTO_IP, IP_HDRINCL, on, "IP_HDRINCL"); !st) return st;
  if (auto st = setOption(fd, IPPROTO_IP, IP_MULTICAST_LOOP, off, "IP_MULTICAST_LOOP"); !st) {
    return st;
  }
  ip_mreqn mreq{};
  mreq.imr_ifindex = static_cast<int>(ifindex);
  if (auto st = setOption(fd, IPPROTO_IP, IP_MULTICAST_IF, mreq, "IP_MULTICAST_IF"); !st) return st;
  const IpAddress& group = multicastGroup(Family::kV4);
  std::memcpy(&mreq.imr_multiaddr, group.bytes(), group.size());
  return setOption(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, mreq, "join " + group.str());
}

Status configureV6(int fd, uint32_t ifindex) {
  const int on = 1;
  const int off = 0;
  const int hops = kTtl;  // RFC 5798 §5.1.2.3, for multicast and unicast peers alike
  const int tclass = kTosInternetworkControl;
  const int index = static_cast<int>(ifindex);
  // Destination and hop limit arrive as control messages; the source is msg_name.
  if (auto st = setOption(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, on, "IPV6_RECVPKTINFO"); !st) {
    return st;
  }
  if (auto st = setOption(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, on, "IPV6_RECVHOPLIMIT"); !st) {
    return st;
  }
  if (auto st = setOption(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, off, "IPV6_MULTICAST_LOOP"); !st) {
    return st;
  }
  if (auto st = setOption(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, hops, "IPV6_MULTICAST_HOPS");
      !st) {
    return st;
  }
  if (auto st = setOption(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, hops, "IPV6_UNICAST_HOPS"); !st) {
    return st;
  }
  if (auto st = setOption(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, index, "IPV6_MULTICAST_IF"); !st) {
    return st;
  }
  if (auto st = setOption(fd, IPPROTO_IPV6, IPV6_TCLASS, tclass, "IPV6_TCLASS"); !st) return st;
  const IpAddress& group = multicastGroup(Family::kV6);
  ipv6_mreq mreq{};
  std::memcpy(&mreq.ipv6mr_multiaddr, group.bytes(), group.size());
  mreq.ipv6mr_interface = ifindex;
  return setOption(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, mreq, "join " + group.str());
}

}  // namespace

std::optional<Ipv4Header> parseIpv4Header(std::span<const uint8_t> d) {
  if (d.size() < kIpv4HeaderSize || (d[0] >> 4) != 4) return std::nullopt;
  Ipv4Header h;
  h.headerLength = static_cast<size_t>(d[0] & 0x0f) * 4;
  h.totalLength = static_cast<size_t>(d[2]) << 8 | d[3];
  if (h.headerLength < kIpv4HeaderSize || h.headerLength > d.size()) return std::nullopt;
  if (h.totalLength < h.headerLength || h.totalLength > d.size()) return std::nullopt;
  h.ttl = d[8];
  h.protocol = d[9];
  h.source = IpAddress::fromBytes(Family::kV4, &d[12]);
  h.destination = IpAddress::fromBytes(Family::kV4, &d[16]);
  return h;
}

struct RawSocketTransport::Channel {
  explicit Channel(boost::asio::io_context& io) : socket(io) {}
  uint32_t ifindex = 0;
  Family family = Family::kV4;
  std::string name;
  boost::asio::generic::raw_protocol::socket socket;
  std::vector<uint8_t> buffer = std::vector<uint8_t>(kReceiveBufferSize);
  alignas(cmsghdr)
      std::array<uint8_t, CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(int))> control{};
  // Cleared by detach() and the destructor. A handler finding it false must not touch the
  // transport: it may be gone (the handler's shared_ptr keeps only the channel alive).
  bool open = true;
};

RawSocketTransport::RawSocketTransport(boost::asio::io_context& io, Receiver receiver)
    : io_(io), receiver_(std::move(receiver)) {}

RawSocketTransport::~RawSocketTransport() {
  for (auto& [key, channel] : channels_) {
    channel->open = false;
    boost::system::error_code ignored;
    channel->socket.close(ignored);
  }
}

Result<std::shared_ptr<RawSocketTransport::Channel>> RawSocketTransport::openChannel(
    uint32_t ifindex, Family family) {
  auto channel = std::make_shared<Channel>(io_);
  channel->ifindex = ifindex;
  channel->family = family;
  char name[IF_NAMESIZE] = {};
  if (!if_indextoname(ifindex, name)) return Error{interfaceName(ifindex) + ": No such device"};
  channel->name = name;

  const int domain = family == Family::kV4 ? AF_INET : AF_INET6;
  // CLOEXEC: notify scripts are forked from this process and must not inherit raw sockets.
  int fd = ::socket(domain, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, kIpProtocol);
  if (fd < 0) return Error{channel->name + ": raw socket: " + errnoText(errno)};
  boost::system::error_code ec;
  channel->socket.assign(boost::asio::generic::raw_protocol(domain, kIpProtocol), fd, ec);
  if (ec) {
    ::close(fd);
    return Error{channel->name + ": raw socket: " + ec.message()};
  }
  // Only this device's traffic, and sends leave through it whatever the routing table says.
  if (::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name,
                   static_cast<socklen_t>(strlen(name) + 1)) < 0) {
    return Error{channel->name + ": SO_BINDTODEVICE: " + errnoText(errno)};
  }
  Status st = family == Family::kV4 ? configureV4(fd, ifindex) : configureV6(fd, ifindex);
  if (!st) return Error{channel->name + ": " + st.error()};
  return channel;
}

Status RawSocketTransport::attach(uint32_t ifindex, Family family) {
  if (channels_.contains({ifindex, family})) return okStatus();
  auto channel = openChannel(ifindex, family);
  if (!channel) return Error{"attach VRRP (" + familyName(family) + ") on " + channel.error()};
  channels_.emplace(Key{ifindex, family}, *channel);
  arm(*channel);
  return okStatus();
}

void RawSocketTransport::detach(uint32_t ifindex, Family family) {
  auto it = channels_.find({ifindex, family});
  if (it == channels_.end()) return;
  it->second->open = false;
  boost::system::error_code ignored;
  it->second->socket.close(ignored);  // leaves the group; the pending wait ends as aborted
  channels_.erase(it);
}

void RawSocketTransport::arm(const std::shared_ptr<Channel>& channel) {
  channel->socket.async_wait(
      boost::asio::socket_base::wait_read, [this, channel](const boost::system::error_code& ec) {
        if (!channel->open) return;
        if (ec) {
          ++counters_.receiveErrors;
          log::warning("VRRP receive on " + channel->name + ": " + ec.message());
        }
        onReadable(channel);
      });
}

void RawSocketTransport::onReadable(const std::shared_ptr<Channel>& channel) {
  const int fd = channel->socket.native_handle();
  for (int i = 0; i < kMaxPerWakeup; ++i) {
    if (!channel->open) return;  // the receiver detached it
    iovec iov{channel->buffer.data(), channel->buffer.size()};
    sockaddr_in6 from{};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (channel->family == Family::kV6) {
      msg.msg_control = channel->control.data();
      msg.msg_controllen = channel->control.size();
    }
    ssize_t n = ::recvmsg(fd, &msg, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      // Drained: only now wait. (Asio's epoll reactor is edge-triggered; Boost 1.74 re-arms the
      // descriptor on every wait, but reading to EAGAIN does not depend on that.)
      if (errno == EAGAIN || errno == EWOULDBLOCK) return arm(channel);
      ++counters_.receiveErrors;  // a pending socket error is reported once, then cleared
      log::warning("VRRP receive on " + channel->name + ": " + errnoText(errno));
      continue;
    }
    if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
      ++counters_.truncated;
      continue;
    }
    if (channel->family == Family::kV4) {
      deliverV4(*channel, static_cast<size_t>(n));
    } else {
      deliverV6(*channel, static_cast<size_t>(n), msg);
    }
  }
  // Budget spent and data may be left: carry on after the handlers already queued (timers).
  boost::asio::post(io_, [this, channel] {
    if (channel->open) onReadable(channel);
  });
}

void RawSocketTransport::deliverV4(Channel& channel, size_t length) {
  std::span<const uint8_t> datagram(channel.buffer.data(), length);
  auto header = parseIpv4Header(datagram);
  if (!header) {
    ++counters_.badIpHeader;
    return;
  }
  if (header->protocol != kIpProtocol) {
    ++counters_.notVrrp;
    return;
  }
  ReceivedPacket packet;
  packet.ifindex = channel.ifindex;
  packet.ctx = PacketContext{header->source, header->destination, header->ttl};
  packet.payload =
      datagram.subspan(header->headerLength, header->totalLength - header->headerLength);
  ++counters_.received;
  if (receiver_) receiver_(packet);
}

// The kernel strips the IPv6 header: the source is msg_name, the rest comes as control data.
void RawSocketTransport::deliverV6(Channel& channel, size_t length, msghdr& msg) {
  sockaddr_in6 from;
  std::memcpy(&from, msg.msg_name, sizeof from);
  if (msg.msg_namelen < sizeof from || from.sin6_family != AF_INET6) {
    ++counters_.noPacketInfo;
    return;
  }
  ReceivedPacket packet;
  packet.ifindex = channel.ifindex;
  packet.ctx.source = IpAddress::fromBytes(Family::kV6, from.sin6_addr.s6_addr);
  bool haveDestination = false;
  bool haveHopLimit = false;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != IPPROTO_IPV6) continue;
    if (c->cmsg_type == IPV6_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(in6_pktinfo))) {
      in6_pktinfo info;
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      packet.ctx.destination = IpAddress::fromBytes(Family::kV6, info.ipi6_addr.s6_addr);
      haveDestination = true;
    } else if (c->cmsg_type == IPV6_HOPLIMIT && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int hops = 0;
      std::memcpy(&hops, CMSG_DATA(c), sizeof hops);
      packet.ctx.ttl = static_cast<uint8_t>(hops & 0xff);
      haveHopLimit = true;
    }
  }
  if (!haveDestination || !haveHopLimit) {
    ++counters_.noPacketInfo;
    return;
  }
  packet.payload = std::span<const uint8_t>(channel.buffer.data(), length);
  ++counters_.received;
  if (receiver_) receiver_(packet);
}

Status RawSocketTransport::send(uint32_t ifindex, const IpAddress& source,
                                const IpAddress& destination, std::span<const uint8_t> payload) {
  const std::string what = "send VRRP from " + source.str() + " to " + destination.str() + " on " +
                           interfaceName(ifindex);
  if (source.family() != destination.family()) {
    return Error{what + ": source and destination families differ"};
  }
  auto it = channels_.find({ifindex, source.family()});
  if (it == channels_.end())
    return Error{what + ": not attached for " + familyName(source.family())};
  Channel& channel = *it->second;
  Status st = source.isV4() ? sendV4(channel, source, destination, payload)
                            : sendV6(channel, source, destination, payload);
  if (!st) {
    ++counters_.sendErrors;
    return Error{what + ": " + st.error()};
  }
  ++counters_.sent;
  return okStatus();
}

Status RawSocketTransport::sendV4(Channel& channel, const IpAddress& source,
                                  const IpAddress& destination, std::span<const uint8_t> payload) {
  if (payload.size() > 0xffff - kIpv4HeaderSize) return Error{"message too long for IPv4"};
  const auto total = static_cast<uint16_t>(kIpv4HeaderSize + payload.size());
  // With IP_HDRINCL the kernel fills in the checksum, and the identification when it is 0
  // (raw(7)); everything else goes out as written.
  std::array<uint8_t, kIpv4HeaderSize> h{};
  h[0] = 0x45;  // version 4, IHL 5
  h[1] = kTosInternetworkControl;
  h[2] = static_cast<uint8_t>(total >> 8);
  h[3] = static_cast<uint8_t>(total & 0xff);
  // h[6..7] = 0: DF clear, like keepalived; an advert is far below any MTU.
  h[8] = kTtl;  // RFC 5798 §5.1.1.3
  h[9] = kIpProtocol;
  std::memcpy(&h[12], source.bytes(), 4);
  std::memcpy(&h[16], destination.bytes(), 4);

  sockaddr_in to{};
  to.sin_family = AF_INET;
  std::memcpy(&to.sin_addr, destination.bytes(), 4);
  std::array<iovec, 2> iov{iovec{h.data(), h.size()},
                           iovec{const_cast<uint8_t*>(payload.data()), payload.size()}};
  msghdr msg{};
  msg.msg_name = &to;
  msg.msg_namelen = sizeof to;
  msg.msg_iov = iov.data();
  msg.msg_iovlen = iov.size();
  return sendDatagram(channel.socket.native_handle(), msg, total);
}

Status RawSocketTransport::sendV6(Channel& channel, const IpAddress& source,
                                  const IpAddress& destination, std::span<const uint8_t> payload) {
  // RFC 5798 §5.1.2.1: the source is the interface's link-local address; the kernel refuses one
  // that is not ours (or still tentative) with EINVAL.
  Ipv6PktinfoMessage message(destination, channel.ifindex, &source, payload);
  return sendDatagram(channel.socket.native_handle(), message.msg(), payload.size());
}

}  // namespace ha::vrrp
