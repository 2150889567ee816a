#include "healthcheck/icmp_echo.h"

#include <cstring>

namespace ha::healthcheck {
namespace {

constexpr uint8_t kEchoRequest4 = 8;
constexpr uint8_t kEchoReply4 = 0;
constexpr uint8_t kUnreachable4 = 3;
constexpr uint8_t kTimeExceeded4 = 11;
constexpr uint8_t kEchoRequest6 = 128;
constexpr uint8_t kEchoReply6 = 129;
constexpr uint8_t kUnreachable6 = 1;
constexpr uint8_t kTimeExceeded6 = 3;
constexpr size_t kIcmpHeaderBytes = 8;
constexpr size_t kPayloadBytes = 56;
constexpr size_t kIpv6HeaderBytes = 40;

uint16_t read16(std::span<const uint8_t> bytes, size_t at) {
  return static_cast<uint16_t>((bytes[at] << 8) | bytes[at + 1]);
}

// The payload after the 8-byte header: the token, big-endian, then the bytes ping(8) sends.
void putPayload(std::string& out, uint64_t token) {
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((token >> shift) & 0xff);
  for (size_t i = 8; i < kPayloadBytes; ++i) out += static_cast<char>(i);
}

// Skips an IPv4 header (IHL); nullopt-like empty span when it is not one.
std::span<const uint8_t> afterIpv4Header(std::span<const uint8_t> packet) {
  if (packet.size() < 20 || (packet[0] >> 4) != 4) return {};
  const size_t headerBytes = size_t{packet[0] & 0x0fU} * 4;
  if (headerBytes < 20 || packet.size() < headerBytes) return {};
  return packet.subspan(headerBytes);
}

bool echoMatches(std::span<const uint8_t> icmp, const EchoId& echo, bool checkId) {
  if (icmp.size() < kIcmpHeaderBytes) return false;
  if (checkId && read16(icmp, 4) != echo.id) return false;
  return read16(icmp, 6) == echo.sequence;
}

}  // namespace

uint16_t internetChecksum(std::span<const uint8_t> bytes) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < bytes.size(); i += 2) sum += read16(bytes, i);
  if (bytes.size() % 2 != 0) sum += static_cast<uint32_t>(bytes.back()) << 8;
  while ((sum >> 16) != 0) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

std::string encodeEchoRequest(bool v6, const EchoId& echo) {
  std::string out;
  out += static_cast<char>(v6 ? kEchoRequest6 : kEchoRequest4);
  out += '\0';  // code
  out += '\0';  // checksum, below
  out += '\0';
  out += static_cast<char>(echo.id >> 8);
  out += static_cast<char>(echo.id & 0xff);
  out += static_cast<char>(echo.sequence >> 8);
  out += static_cast<char>(echo.sequence & 0xff);
  putPayload(out, echo.token);
  if (!v6) {
    const uint16_t sum =
        internetChecksum(std::span(reinterpret_cast<const uint8_t*>(out.data()), out.size()));
    out[2] = static_cast<char>(sum >> 8);
    out[3] = static_cast<char>(sum & 0xff);
  }
  return out;
}

IcmpMatch classifyIcmp(std::span<const uint8_t> packet, const EchoId& echo,
                       const IcmpReading& reading) {
  std::span<const uint8_t> icmp = packet;
  if (!reading.v6 && reading.withIpHeader) icmp = afterIpv4Header(packet);
  if (icmp.size() < kIcmpHeaderBytes) return IcmpMatch::kForeign;
  const uint8_t type = icmp[0];
  const uint8_t replyType = reading.v6 ? kEchoReply6 : kEchoReply4;
  if (type == replyType && icmp[1] == 0) {
    if (!echoMatches(icmp, echo, reading.checkId)) return IcmpMatch::kForeign;
    // The token proves it answers this request, not an earlier one with the same numbers.
    std::string expected;
    putPayload(expected, echo.token);
    const auto payload = icmp.subspan(kIcmpHeaderBytes);
    if (payload.size() != expected.size() ||
        std::memcmp(payload.data(), expected.data(), expected.size()) != 0) {
      return IcmpMatch::kForeign;
    }
    return IcmpMatch::kReply;
  }
  const bool error = reading.v6 ? (type == kUnreachable6 || type == kTimeExceeded6)
                                : (type == kUnreachable4 || type == kTimeExceeded4);
  if (!error) return IcmpMatch::kForeign;
  // An error quotes the offending packet after its own 8 bytes: its IP header, then our echo.
  std::span<const uint8_t> quoted = icmp.subspan(kIcmpHeaderBytes);
  if (reading.v6) {
    if (quoted.size() < kIpv6HeaderBytes || quoted[6] != 58) return IcmpMatch::kForeign;
    quoted = quoted.subspan(kIpv6HeaderBytes);
  } else {
    quoted = afterIpv4Header(quoted);
  }
  const uint8_t requestType = reading.v6 ? kEchoRequest6 : kEchoRequest4;
  if (quoted.size() < kIcmpHeaderBytes || quoted[0] != requestType ||
      !echoMatches(quoted, echo, reading.checkId)) {
    return IcmpMatch::kForeign;
  }
  return IcmpMatch::kUnreachable;
}

}  // namespace ha::healthcheck
