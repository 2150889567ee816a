// PING_CHECK's ICMP codec without a socket: the request bytes and checksum, our reply found among
// foreign ones (another id, another sequence, a stale token), and errors quoting our request.
#include "healthcheck/icmp_echo.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ha::healthcheck {
namespace {

std::vector<uint8_t> bytes(const std::string& text) { return {text.begin(), text.end()}; }

const EchoId kEcho{0x1234, 7, 0x0102030405060708ULL};

// The echo a peer sends back: our request with the reply type.
std::string replyTo(bool v6, const EchoId& echo) {
  std::string packet = encodeEchoRequest(v6, echo);
  packet[0] = static_cast<char>(v6 ? 129 : 0);
  return packet;
}

std::string ipv4Header(uint8_t protocol) {
  std::string h(20, '\0');
  h[0] = 0x45;
  h[9] = static_cast<char>(protocol);
  return h;
}

// Type 8, code 0, id, sequence, 56 bytes of payload starting with the token; checksum valid.
TEST(IcmpEcho, RequestBytesAndChecksum) {
  const std::string v4 = encodeEchoRequest(false, kEcho);
  ASSERT_EQ(v4.size(), 64u);
  EXPECT_EQ(static_cast<uint8_t>(v4[0]), 8);
  EXPECT_EQ(v4.substr(4, 4), std::string("\x12\x34\x00\x07", 4));
  EXPECT_EQ(v4.substr(8, 8), std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  EXPECT_EQ(internetChecksum(bytes(v4)), 0);  // a valid checksum sums to zero
  const std::string v6 = encodeEchoRequest(true, kEcho);
  EXPECT_EQ(static_cast<uint8_t>(v6[0]), 128);
  EXPECT_EQ(v6.substr(2, 2), std::string("\0\0", 2));  // the kernel fills it in
}

// RFC 1071's example bytes.
TEST(IcmpEcho, ChecksumOfRfc1071Example) {
  const std::vector<uint8_t> data = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(internetChecksum(data), static_cast<uint16_t>(~0xddf2));
}

// Our reply matches on a raw socket (with the IPv4 header) and on a ping socket (without).
TEST(IcmpEcho, OurReplyMatches) {
  EXPECT_EQ(classifyIcmp(bytes(ipv4Header(1) + replyTo(false, kEcho)), kEcho, {false, true, true}),
            IcmpMatch::kReply);
  EXPECT_EQ(classifyIcmp(bytes(replyTo(false, kEcho)), kEcho, {false, false, false}),
            IcmpMatch::kReply);
  EXPECT_EQ(classifyIcmp(bytes(replyTo(true, kEcho)), kEcho, {true, false, true}),
            IcmpMatch::kReply);
}

// Other ids (raw sockets see every ping on the host), other sequences, stale tokens, requests and
// runts are foreign: the probe keeps waiting.
TEST(IcmpEcho, ForeignPacketsAreIgnored) {
  const IcmpReading raw{false, true, true};
  EXPECT_EQ(
      classifyIcmp(bytes(ipv4Header(1) + replyTo(false, {0x9999, 7, kEcho.token})), kEcho, raw),
      IcmpMatch::kForeign);
  EXPECT_EQ(
      classifyIcmp(bytes(ipv4Header(1) + replyTo(false, {0x1234, 8, kEcho.token})), kEcho, raw),
      IcmpMatch::kForeign);
  EXPECT_EQ(classifyIcmp(bytes(ipv4Header(1) + replyTo(false, {0x1234, 7, 99})), kEcho, raw),
            IcmpMatch::kForeign);
  EXPECT_EQ(classifyIcmp(bytes(ipv4Header(1) + encodeEchoRequest(false, kEcho)), kEcho, raw),
            IcmpMatch::kForeign);
  EXPECT_EQ(classifyIcmp(bytes(ipv4Header(1) + std::string("\x00\x00", 2)), kEcho, raw),
            IcmpMatch::kForeign);
  EXPECT_EQ(classifyIcmp(bytes("\x45"), kEcho, raw), IcmpMatch::kForeign);
  EXPECT_EQ(classifyIcmp({}, kEcho, {true, false, true}), IcmpMatch::kForeign);
  // A ping socket ignores the id (the kernel rewrote it) but not the sequence.
  EXPECT_EQ(
      classifyIcmp(bytes(replyTo(false, {0x9999, 7, kEcho.token})), kEcho, {false, false, false}),
      IcmpMatch::kReply);
}

// Destination unreachable quoting our request fails the probe; quoting someone else's does not.
TEST(IcmpEcho, UnreachableQuotingOurRequest) {
  const std::string quoted = ipv4Header(1) + encodeEchoRequest(false, kEcho).substr(0, 8);
  const std::string error = std::string("\x03\x01\x00\x00\x00\x00\x00\x00", 8) + quoted;
  EXPECT_EQ(classifyIcmp(bytes(ipv4Header(1) + error), kEcho, {false, true, true}),
            IcmpMatch::kUnreachable);
  const std::string otherQuoted = ipv4Header(1) + encodeEchoRequest(false, {1, 2, 3}).substr(0, 8);
  EXPECT_EQ(classifyIcmp(bytes(ipv4Header(1) + error.substr(0, 8) + otherQuoted), kEcho,
                         {false, true, true}),
            IcmpMatch::kForeign);
  std::string v6Header(40, '\0');
  v6Header[0] = 0x60;
  v6Header[6] = 58;
  const std::string v6Error = std::string("\x01\x03\x00\x00\x00\x00\x00\x00", 8) + v6Header +
                              encodeEchoRequest(true, kEcho).substr(0, 8);
  EXPECT_EQ(classifyIcmp(bytes(v6Error), kEcho, {true, false, true}), IcmpMatch::kUnreachable);
}

}  // namespace
}  // namespace ha::healthcheck
