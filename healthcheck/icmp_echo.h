#pragma once
// PING_CHECK's wire format, pure: ICMP (RFC 792) and ICMPv6 (RFC 4443 §4) echo requests, and the
// sorting of what an ICMP socket hands back into our reply, an error about our request, or
// someone else's packet.
#include <cstdint>
#include <span>
#include <string>

namespace ha::healthcheck {

struct EchoId {
  uint16_t id = 0;  // ignored when matching on a ping socket: the kernel owns it there
  uint16_t sequence = 0;
  uint64_t token = 0;  // carried in the payload, echoed back whole
};

// Type 8 (ICMP) or 128 (ICMPv6), code 0, id, sequence, then a 56-byte payload (ping's size) that
// starts with the token. The ICMP checksum is filled in (RFC 1071); for ICMPv6 the kernel fills
// it in (the pseudo-header needs addresses the socket knows).
std::string encodeEchoRequest(bool v6, const EchoId& echo);

enum class IcmpMatch : uint8_t {
  kForeign,      // not about our request: keep waiting
  kReply,        // our echo came back
  kUnreachable,  // an ICMP error quoting our request (raw sockets see these)
};

struct IcmpReading {
  bool v6 = false;
  bool withIpHeader = false;  // a raw IPv4 socket hands back the IP header too
  bool checkId = true;        // false on a ping socket (SOCK_DGRAM): the kernel matched it
};

IcmpMatch classifyIcmp(std::span<const uint8_t> packet, const EchoId& echo,
                       const IcmpReading& reading);

uint16_t internetChecksum(std::span<const uint8_t> bytes);  // RFC 1071

}  // namespace ha::healthcheck
