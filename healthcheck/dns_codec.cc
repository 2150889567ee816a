#include "healthcheck/dns_codec.h"

#include <array>
#include <cctype>
#include <optional>

namespace ha::healthcheck {
namespace {

constexpr size_t kHeaderBytes = 12;
constexpr uint16_t kClassIn = 1;
constexpr size_t kMaxNameBytes = 255;  // RFC 1035 §2.3.4, on the wire

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> message) : message_(message) {}
  size_t position() const { return position_; }
  std::optional<uint16_t> u16() {
    if (message_.size() - position_ < 2) return std::nullopt;
    const auto value = static_cast<uint16_t>((message_[position_] << 8) | message_[position_ + 1]);
    position_ += 2;
    return value;
  }
  bool skip(size_t bytes) {
    if (message_.size() - position_ < bytes) return false;
    position_ += bytes;
    return true;
  }
  // A name at the current position, lowercased and dot-joined ("" = the root); the position
  // moves past it (past its first pointer when compressed). An error text on failure.
  std::optional<std::string> name(std::string& problem) {
    std::string out;
    size_t at = position_;
    size_t lowest = position_;  // every pointer must go below every byte of the name read so far
    size_t wire = 0;
    bool jumped = false;
    for (;;) {
      if (at >= message_.size()) {
        problem = "name runs past the end of the message";
        return std::nullopt;
      }
      const uint8_t length = message_[at];
      if ((length & 0xc0) == 0xc0) {
        if (at + 1 >= message_.size()) {
          problem = "compression pointer cut short";
          return std::nullopt;
        }
        const size_t target = (static_cast<size_t>(length & 0x3f) << 8) | message_[at + 1];
        // Below everything read so far: no loop can form, each hop moves towards offset 0.
        if (target >= lowest) {
          problem = "compression pointer to offset " + std::to_string(target) +
                    " does not point backwards (a loop or a forward reference)";
          return std::nullopt;
        }
        if (!jumped) position_ = at + 2;
        jumped = true;
        at = target;
        lowest = target;
        continue;
      }
      if ((length & 0xc0) != 0) {
        problem = "unknown label type 0x" + std::string(1, "0123456789abcdef"[length >> 4]) + "0";
        return std::nullopt;
      }
      wire += length + 1U;
      if (wire > kMaxNameBytes) {
        problem = "name longer than 255 bytes";
        return std::nullopt;
      }
      if (length == 0) break;
      if (message_.size() - at - 1 < length) {
        problem = "label runs past the end of the message";
        return std::nullopt;
      }
      if (!out.empty()) out += '.';
      for (size_t i = 0; i < length; ++i) {
        out += static_cast<char>(std::tolower(message_[at + 1 + i]));
      }
      at += 1U + length;
    }
    if (!jumped) position_ = at + 1;
    return out;
  }

 private:
  std::span<const uint8_t> message_;
  size_t position_ = 0;
};

void put16(std::string& out, uint16_t value) {
  out += static_cast<char>(value >> 8);
  out += static_cast<char>(value & 0xff);
}

std::string lowered(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

DnsReply malformed(std::string problem) {
  DnsReply reply;
  reply.kind = DnsReplyKind::kMalformed;
  reply.problem = std::move(problem);
  return reply;
}

}  // namespace

std::string encodeDnsQuery(const DnsQuestion& question) {
  std::string out;
  put16(out, question.id);
  put16(out, 0x0100);  // RD (keepalived's dns_make_query)
  put16(out, 1);       // QDCOUNT
  put16(out, 0);
  put16(out, 0);
  put16(out, 0);
  std::string_view rest = question.name;
  while (!rest.empty()) {
    const size_t dot = rest.find('.');
    const std::string_view label = rest.substr(0, dot);
    out += static_cast<char>(label.size());
    out += label;
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  out += '\0';
  put16(out, question.type);
  put16(out, kClassIn);
  return out;
}

DnsReply parseDnsReply(std::span<const uint8_t> message, const DnsQuestion& question) {
  DnsReply reply;
  // Fewer than two bytes cannot carry our id: nothing says it is ours.
  if (message.size() < 2) return reply;
  const auto id = static_cast<uint16_t>((message[0] << 8) | message[1]);
  if (id != question.id) return reply;
  if (message.size() < kHeaderBytes) {
    return malformed("reply of " + std::to_string(message.size()) +
                     " bytes is shorter than a DNS header");
  }
  Reader read(message);
  read.skip(2);
  const uint16_t flags = *read.u16();
  if ((flags & 0x8000) == 0) return reply;  // a query, not a response (keepalived waits on)
  const uint16_t qdcount = *read.u16();
  const uint16_t ancount = *read.u16();
  const uint16_t nscount = *read.u16();
  const uint16_t arcount = *read.u16();
  const auto rcode = static_cast<uint8_t>(flags & 0x000f);
  const auto opcode = static_cast<uint8_t>((flags >> 11) & 0x0f);
  if (opcode != 0) return malformed("reply opcode " + std::to_string(opcode) + " (sent QUERY)");

  // The question must be ours (RFC 5452 §9.1); a server that failed to parse the query may
  // leave it out (FORMERR, NOTIMP).
  if (qdcount > 1) return malformed(std::to_string(qdcount) + " questions in the reply");
  if (qdcount == 0 && rcode == 0) return malformed("NOERROR reply without the question");
  std::string problem;
  if (qdcount == 1) {
    auto name = read.name(problem);
    if (!name) return malformed("question: " + problem);
    auto type = read.u16();
    auto klass = read.u16();
    if (!type || !klass) return malformed("question cut short");
    if (*name != lowered(question.name) || *type != question.type || *klass != kClassIn) {
      return malformed("reply to another question (" + (name->empty() ? "." : *name) + " type " +
                       std::to_string(*type) + ")");
    }
  }
  const uint32_t records = uint32_t{ancount} + nscount + arcount;
  for (uint32_t i = 0; i < records; ++i) {
    const char* section =
        i < ancount ? "answer" : (i < ancount + nscount ? "authority" : "additional");
    auto owner = read.name(problem);
    if (!owner && (flags & 0x0200) != 0) break;
    if (!owner)
      return malformed(std::string(section) + " record " + std::to_string(i + 1) + ": " + problem);
    auto type = read.u16();
    auto klass = read.u16();
    auto ttlHigh = read.u16();
    auto ttlLow = read.u16();
    auto length = read.u16();
    if (!type || !klass || !ttlHigh || !ttlLow || !length || !read.skip(*length)) {
      // TC (RFC 1035 §4.1.1): the server said it cut the message; what is there still counts.
      if ((flags & 0x0200) != 0) break;
      return malformed(std::string(section) + " record " + std::to_string(i + 1) +
                       " runs past the end of the message");
    }
    if (i < ancount && *type == question.type) ++reply.answersOfType;
  }
  reply.kind = DnsReplyKind::kResponse;
  reply.rcode = rcode;
  reply.truncated = (flags & 0x0200) != 0;
  reply.answers = ancount;
  return reply;
}

std::string dnsRcodeName(uint8_t rcode) {
  static constexpr std::array<const char*, 11> kNames = {
      "NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
      "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE"};
  if (rcode < kNames.size()) return kNames[rcode];
  return "RCODE " + std::to_string(rcode);
}

}  // namespace ha::healthcheck
