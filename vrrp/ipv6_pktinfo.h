#pragma once
// One IPv6 datagram for sendmsg(), sent out of a given interface with IPV6_PKTINFO: adverts (with
// the link-local source RFC 5798 §5.1.2.1 asks for) and unsolicited NAs (source left to the kernel)
// both need it. Holds the buffers msghdr points into, so keep it alive until sendmsg() returns.
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <span>

#include "common/ip_address.h"

namespace ha::vrrp {

class Ipv6PktinfoMessage {
 public:
  // `source` null: unspecified, the kernel picks an address of the interface.
  Ipv6PktinfoMessage(const IpAddress& destination, uint32_t ifindex, const IpAddress* source,
                     std::span<const uint8_t> payload)
      : iov_{const_cast<uint8_t*>(payload.data()), payload.size()} {
    to_.sin6_family = AF_INET6;
    std::memcpy(&to_.sin6_addr, destination.bytes(), 16);
    // Multicast and link-local destinations need the scope; the kernel ignores it otherwise.
    to_.sin6_scope_id = ifindex;
    msg_.msg_name = &to_;
    msg_.msg_namelen = sizeof to_;
    msg_.msg_iov = &iov_;
    msg_.msg_iovlen = 1;
    msg_.msg_control = control_.data();
    msg_.msg_controllen = control_.size();
    cmsghdr* c = CMSG_FIRSTHDR(&msg_);
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
    in6_pktinfo info{};
    if (source != nullptr) std::memcpy(&info.ipi6_addr, source->bytes(), 16);
    info.ipi6_ifindex = ifindex;
    std::memcpy(CMSG_DATA(c), &info, sizeof info);
  }
  Ipv6PktinfoMessage(const Ipv6PktinfoMessage&) = delete;
  Ipv6PktinfoMessage& operator=(const Ipv6PktinfoMessage&) = delete;

  msghdr& msg() { return msg_; }

 private:
  sockaddr_in6 to_{};
  iovec iov_;
  alignas(cmsghdr) std::array<uint8_t, CMSG_SPACE(sizeof(in6_pktinfo))> control_{};
  msghdr msg_{};
};

}  // namespace ha::vrrp
