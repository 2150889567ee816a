// libFuzzer target for the HTTP response parser (healthcheck/http_response.h), the decoder of
// whatever a real sends back. Input: byte 0 picks the options (bit 0 digest the body, bit 1 stop
// after the head, bit 2 tiny limits so the limit paths are reached, bit 3 the peer closes at the
// end), byte 1 where to cut the rest in two. The rest is parsed three ways — whole, cut in two,
// and (when short) one byte at a time — in exact-size heap copies so ASan sees any overrun. All
// three must agree, since a verdict must not depend on how TCP delivered the bytes, and every
// verdict must respect the limits. Built with standalone_driver.cc where g++ has no libFuzzer.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "healthcheck/http_response.h"

namespace {

using ha::healthcheck::FailureReason;
using ha::healthcheck::HttpParseOptions;
using ha::healthcheck::HttpParseState;
using ha::healthcheck::HttpResponseParser;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "http_response_fuzz: %s\n", what);
  std::abort();
}

constexpr size_t kBytewiseMax = 4096;  // byte-at-a-time parsing of longer inputs is too slow

HttpParseOptions optionsFrom(uint8_t bits) {
  HttpParseOptions options;
  options.digestBody = (bits & 1) != 0;
  options.stopAfterHead = (bits & 2) != 0;
  if ((bits & 4) != 0) {
    options.limits.maxHeadBytes = 256;
    options.limits.maxHeaderCount = 8;
    options.limits.maxBodyBytes = 1024;
  }
  return options;
}

// Feeds `pieces` in order, each from its own exact-size heap block.
template <typename Pieces>
HttpResponseParser parse(const HttpParseOptions& options, const Pieces& pieces, bool close) {
  HttpResponseParser parser(options);
  for (std::string_view piece : pieces) {
    auto exact = std::make_unique<char[]>(piece.size() + 1);
    if (!piece.empty()) std::memcpy(exact.get(), piece.data(), piece.size());
    parser.feed(std::string_view(exact.get(), piece.size()));
  }
  if (close) parser.finish();
  return parser;
}

void checkVerdict(const HttpResponseParser& parser, const HttpParseOptions& options,
                  size_t inputSize, bool closed) {
  const auto& limits = options.limits;
  if (parser.bytesConsumed() > inputSize) fail("consumed more bytes than were fed");
  size_t headBytes = 0;
  for (const auto& [name, value] : parser.headers()) headBytes += name.size() + value.size();
  if (parser.headers().size() > limits.maxHeaderCount) fail("more headers than the limit");
  if (headBytes > limits.maxHeadBytes) fail("kept more head than the limit");
  if (parser.bodyBytes() > limits.maxBodyBytes) fail("read more body than the limit");
  switch (parser.state()) {
    case HttpParseState::kNeedMore:
      if (closed) fail("still needs bytes after the close: finish() always decides");
      break;
    case HttpParseState::kComplete:
      if (!parser.headComplete()) fail("complete without a head");
      if (parser.statusCode() < 100 || parser.statusCode() > 999) fail("status code out of range");
      if (options.digestBody && !options.stopAfterHead) {
        const std::string& hex = parser.bodyMd5Hex();
        if (hex.size() != 32) fail("digest is not 32 hex digits");
        for (char c : hex) {
          if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            fail("digest is not lowercase hex");
        }
      } else if (!parser.bodyMd5Hex().empty()) {
        fail("a digest nobody asked for");
      }
      break;
    case HttpParseState::kError: {
      const FailureReason reason = parser.errorReason();
      if (reason != FailureReason::kBadResponse && reason != FailureReason::kTooLarge &&
          reason != FailureReason::kClosedEarly) {
        fail("unexpected error reason");
      }
      if (reason == FailureReason::kClosedEarly && !closed) fail("closed early without a close");
      if (parser.errorDetail().empty()) fail("an error without a detail");
      break;
    }
  }
}

void checkSame(const HttpResponseParser& a, const HttpResponseParser& b) {
  if (a.state() != b.state()) fail("the cut changed the state");
  if (a.errorReason() != b.errorReason()) fail("the cut changed the error reason");
  if (a.state() == HttpParseState::kError) return;  // how far an error got may depend on the cut
  if (a.bytesConsumed() != b.bytesConsumed()) fail("the cut changed the bytes consumed");
  if (a.headComplete() != b.headComplete()) fail("the cut changed headComplete");
  if (!a.headComplete()) return;
  if (a.statusCode() != b.statusCode()) fail("the cut changed the status");
  if (a.headers() != b.headers()) fail("the cut changed the headers");
  if (a.bodyBytes() != b.bodyBytes()) fail("the cut changed the body length");
  if (a.bodyMd5Hex() != b.bodyMd5Hex()) fail("the cut changed the digest");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const HttpParseOptions options = optionsFrom(data[0]);
  const bool close = (data[0] & 8) != 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);
  const size_t cut = input.size() * data[1] / 255;

  const std::string_view whole[] = {input};
  const std::string_view halves[] = {input.substr(0, cut), input.substr(cut)};
  HttpResponseParser once = parse(options, whole, close);
  const HttpResponseParser twice = parse(options, halves, close);
  checkVerdict(once, options, input.size(), close);
  checkVerdict(twice, options, input.size(), close);
  checkSame(once, twice);
  if (input.size() <= kBytewiseMax) {
    std::vector<std::string_view> bytes;
    for (size_t i = 0; i < input.size(); ++i) bytes.push_back(input.substr(i, 1));
    const HttpResponseParser bytewise = parse(options, bytes, close);
    checkVerdict(bytewise, options, input.size(), close);
    checkSame(once, bytewise);
  }
  // A decided verdict is final, whatever follows.
  if (once.state() != HttpParseState::kNeedMore) {
    const HttpParseState before = once.state();
    if (once.feed("HTTP/1.1 200 OK\r\n\r\n") != before || once.finish() != before)
      fail("a verdict changed");
  }
  return 0;
}
