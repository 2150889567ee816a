#pragma once
// DNS_CHECK's wire format (RFC 1035 §4), pure: the query keepalived's check_dns.c sends and the
// judgement of what comes back. Every read of a reply is bounds-checked; a compression pointer
// must point below every byte of its name read so far (RFC 1035 §4.1.4 points at "a prior
// occurrence"), so a loop of pointers is impossible, and a name is at most 255 bytes.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace ha::healthcheck {

struct DnsQuestion {
  uint16_t id = 0;
  uint16_t type = 6;  // SOA, keepalived's default
  std::string name;   // "example.com" without the final dot; "" = the root
};

// Header (RD set, as keepalived), QDCOUNT 1, QNAME, QTYPE, QCLASS IN. The name must be valid
// (the config checks: labels 1..63 bytes, at most 255 bytes on the wire).
std::string encodeDnsQuery(const DnsQuestion& question);

enum class DnsReplyKind : uint8_t {
  kForeign,    // not a response to this query (another id, or a query): keep waiting
  kMalformed,  // carries our id but breaks the format: the real answered nonsense
  kResponse,   // a well-formed response to our question
};

struct DnsReply {
  DnsReplyKind kind = DnsReplyKind::kForeign;
  uint8_t rcode = 0;           // RFC 1035 §4.1.1 RCODE (kResponse)
  bool truncated = false;      // TC
  uint16_t answers = 0;        // ANCOUNT
  uint16_t answersOfType = 0;  // answer records of the asked type
  std::string problem;         // kMalformed: what is wrong, for operators
};

DnsReply parseDnsReply(std::span<const uint8_t> message, const DnsQuestion& question);

// "NOERROR", "SERVFAIL", "NXDOMAIN", ... (RFC 1035 §4.1.1, RFC 6895 §2.3); "RCODE 12" otherwise.
std::string dnsRcodeName(uint8_t rcode);

}  // namespace ha::healthcheck
