// libFuzzer target for DNS_CHECK's reply decoder (healthcheck/dns_codec.h) and SMTP_CHECK's
// dialogue (healthcheck/smtp_dialogue.h): the bytes a real sends back. Input: byte 0 picks the
// question's type, then the message. The decoder reads an exact-size heap copy so ASan sees any
// overrun; a reply with another id must be foreign; a malformed one must say why. The same bytes
// fed to an SMTP dialogue whole and one byte at a time must reach the same verdict (a verdict
// must not depend on how TCP delivered them). Built with standalone_driver.cc where g++ has no
// libFuzzer.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "healthcheck/dns_codec.h"
#include "healthcheck/smtp_dialogue.h"

namespace {

using ha::healthcheck::DnsQuestion;
using ha::healthcheck::DnsReplyKind;
using ha::healthcheck::SmtpDialogue;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "dns_reply_fuzz: %s\n", what);
  std::abort();
}

std::string smtpVerdict(std::string_view bytes, bool bytewise) {
  SmtpDialogue dialogue("fuzz.example");
  size_t step = bytewise ? 1 : bytes.size();
  for (size_t at = 0; at < bytes.size(); at += step) {
    SmtpDialogue::Step s = dialogue.feed(bytes.substr(at, step));
    if (s.verdict) return (s.verdict->ok ? "pass " : "fail ") + s.verdict->detail;
  }
  const auto closed = dialogue.closed();
  return (closed.ok ? "pass-closed " : "fail-closed ") + closed.detail;
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const DnsQuestion question{0x1234, static_cast<uint16_t>(data[0] % 50), "www.example.org"};
  const size_t length = size - 1;
  std::unique_ptr<uint8_t[]> copy(new uint8_t[length == 0 ? 1 : length]);
  if (length > 0) std::memcpy(copy.get(), data + 1, length);
  const auto reply =
      ha::healthcheck::parseDnsReply(std::span<const uint8_t>(copy.get(), length), question);
  const bool ours = length >= 2 && copy[0] == 0x12 && copy[1] == 0x34;
  if (!ours && reply.kind != DnsReplyKind::kForeign) fail("another id was not foreign");
  if (reply.kind == DnsReplyKind::kMalformed && reply.problem.empty())
    fail("malformed without a reason");
  if (reply.kind == DnsReplyKind::kResponse && reply.answersOfType > reply.answers)
    fail("more typed answers than answers");

  const std::string_view text(reinterpret_cast<const char*>(data + 1), length);
  if (length <= 4096 && smtpVerdict(text, false) != smtpVerdict(text, true)) {
    fail("SMTP verdict depends on how the bytes were split");
  }
  return 0;
}
