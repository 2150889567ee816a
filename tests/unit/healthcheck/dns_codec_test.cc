// DNS_CHECK's codec without a socket: the query keepalived sends, and replies good, foreign and
// malformed (truncated, bad pointers, compression loops): each a clear verdict, never a crash.
#include "healthcheck/dns_codec.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ha::healthcheck {
namespace {

std::vector<uint8_t> bytes(const std::string& text) { return {text.begin(), text.end()}; }

std::string u16(uint16_t v) { return {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)}; }

// id, flags, counts.
std::string header(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns = 0,
                   uint16_t ar = 0) {
  return u16(id) + u16(flags) + u16(qd) + u16(an) + u16(ns) + u16(ar);
}

const std::string kQName = std::string(
    "\x03www\x07"
    "example\x03org\x00",
    17);

// A response to `www.example.org A` with one A record whose owner is a pointer to the question.
std::string goodReply(uint16_t id, uint16_t flags = 0x8180) {
  return header(id, flags, 1, 1) + kQName + u16(1) + u16(1) + "\xc0\x0c" + u16(1) + u16(1) +
         u16(0) + u16(60) + u16(4) + std::string("\xc0\x00\x02\x01", 4);
}

DnsQuestion question(uint16_t id = 0x1234) { return DnsQuestion{id, 1, "www.example.org"}; }

// The query: id, RD, one question, the name as labels, type, class IN (keepalived's bytes).
TEST(DnsCodec, QueryBytes) {
  EXPECT_EQ(encodeDnsQuery(question()), header(0x1234, 0x0100, 1, 0) + kQName + u16(1) + u16(1));
  EXPECT_EQ(encodeDnsQuery(DnsQuestion{7, 6, ""}),
            header(7, 0x0100, 1, 0) + std::string(1, '\0') + u16(6) + u16(1));
}

// A well-formed NOERROR response to our question, with a compressed owner name.
TEST(DnsCodec, GoodReply) {
  const auto reply = parseDnsReply(bytes(goodReply(0x1234)), question());
  EXPECT_EQ(reply.kind, DnsReplyKind::kResponse);
  EXPECT_EQ(reply.rcode, 0);
  EXPECT_EQ(reply.answers, 1);
  EXPECT_EQ(reply.answersOfType, 1);
}

// Names compare without regard to case (RFC 4343).
TEST(DnsCodec, QuestionCaseInsensitive) {
  const auto reply =
      parseDnsReply(bytes(goodReply(0x1234)), DnsQuestion{0x1234, 1, "WWW.Example.ORG"});
  EXPECT_EQ(reply.kind, DnsReplyKind::kResponse);
}

// NXDOMAIN and SERVFAIL are responses with their RCODE; FORMERR may omit the question.
TEST(DnsCodec, ErrorRcodes) {
  auto reply =
      parseDnsReply(bytes(header(0x1234, 0x8183, 1, 0) + kQName + u16(1) + u16(1)), question());
  EXPECT_EQ(reply.kind, DnsReplyKind::kResponse);
  EXPECT_EQ(dnsRcodeName(reply.rcode), "NXDOMAIN");
  reply = parseDnsReply(bytes(header(0x1234, 0x8181, 0, 0)), question());
  EXPECT_EQ(reply.kind, DnsReplyKind::kResponse);
  EXPECT_EQ(dnsRcodeName(reply.rcode), "FORMERR");
  EXPECT_EQ(dnsRcodeName(15), "RCODE 15");
}

// Another id, or a query (QR clear), is not ours: the checker keeps waiting.
TEST(DnsCodec, ForeignMessagesAreIgnored) {
  EXPECT_EQ(parseDnsReply(bytes(goodReply(0x4321)), question()).kind, DnsReplyKind::kForeign);
  EXPECT_EQ(parseDnsReply(bytes(goodReply(0x1234, 0x0100)), question()).kind,
            DnsReplyKind::kForeign);
  EXPECT_EQ(parseDnsReply(bytes("\x12"), question()).kind, DnsReplyKind::kForeign);
  EXPECT_EQ(parseDnsReply({}, question()).kind, DnsReplyKind::kForeign);
}

// Truncated anywhere: our id, then nonsense. Every cut of a good reply is malformed, not a crash.
TEST(DnsCodec, TruncatedRepliesAreMalformed) {
  const std::string good = goodReply(0x1234);
  for (size_t cut = 2; cut < good.size(); ++cut) {
    const auto reply = parseDnsReply(bytes(good.substr(0, cut)), question());
    EXPECT_EQ(reply.kind, DnsReplyKind::kMalformed) << "cut at " << cut;
    EXPECT_FALSE(reply.problem.empty());
  }
  // ...unless the server says it truncated (TC): what is there still counts.
  const std::string tc = goodReply(0x1234, 0x8380);
  EXPECT_EQ(parseDnsReply(bytes(tc.substr(0, tc.size() - 3)), question()).kind,
            DnsReplyKind::kResponse);
}

// Pointers forward, to themselves, in a loop, or past the end are malformed with the reason.
TEST(DnsCodec, BadPointersAndLoops) {
  const std::string q = kQName + u16(1) + u16(1);
  const std::string rr = u16(1) + u16(1) + u16(0) + u16(60) + u16(0);
  struct Case {
    std::string owner;
    const char* problem;
  };
  for (const Case& c : {Case{"\xc0\x21", "does not point backwards"},       // to itself
                        Case{"\xc0\xff", "does not point backwards"},       // past the end
                        Case{"\x01x\xc0\x21", "does not point backwards"},  // forward
                        Case{"@", "unknown label type"},      // 0x40: an extended label
                        Case{"?xx", "runs past the end"}}) {  // 0x3f = 63 bytes announced
    const std::string message = header(0x1234, 0x8180, 1, 1) + q + c.owner + rr;
    const auto reply = parseDnsReply(bytes(message), question());
    EXPECT_EQ(reply.kind, DnsReplyKind::kMalformed) << c.problem;
    EXPECT_NE(reply.problem.find(c.problem), std::string::npos) << reply.problem;
  }
  // A loop through two pointers: the second points back at the first.
  const std::string loop =
      header(0x1234, 0x8180, 1, 1) + q + std::string("\xc0\x23\xc0\x21", 4) + rr;
  const auto reply = parseDnsReply(bytes(loop), question());
  EXPECT_EQ(reply.kind, DnsReplyKind::kMalformed);
  EXPECT_NE(reply.problem.find("does not point backwards"), std::string::npos) << reply.problem;
}

// A name longer than 255 bytes made of backward pointers is refused, not followed forever.
TEST(DnsCodec, OverlongNamesAreMalformed) {
  std::string message = header(0x1234, 0x8180, 1, 1) + kQName + u16(1) + u16(1);
  std::string owner;
  for (int i = 0; i < 5; ++i) owner += std::string(1, '\x3f') + std::string(63, 'a');
  owner += '\0';
  message += owner + u16(1) + u16(1) + u16(0) + u16(60) + u16(0);
  const auto reply = parseDnsReply(bytes(message), question());
  EXPECT_EQ(reply.kind, DnsReplyKind::kMalformed);
  EXPECT_NE(reply.problem.find("longer than 255"), std::string::npos) << reply.problem;
}

// A reply to another question, two questions, or NOERROR without the question is malformed.
TEST(DnsCodec, QuestionMustBeOurs) {
  const auto other =
      parseDnsReply(bytes(header(0x1234, 0x8180, 1, 0) + kQName + u16(28) + u16(1)), question());
  EXPECT_EQ(other.kind, DnsReplyKind::kMalformed);
  EXPECT_NE(other.problem.find("another question"), std::string::npos);
  EXPECT_EQ(parseDnsReply(bytes(header(0x1234, 0x8180, 2, 0)), question()).kind,
            DnsReplyKind::kMalformed);
  EXPECT_EQ(parseDnsReply(bytes(header(0x1234, 0x8180, 0, 0)), question()).kind,
            DnsReplyKind::kMalformed);
}

}  // namespace
}  // namespace ha::healthcheck
