// The chunked transfer coding (RFC 9112 §7.1) of HttpResponseParser: chunk-size lines, the CRLF
// after each chunk's data, and the trailer section. The chunk data itself streams through
// consumeBody() like any other body.
#include <algorithm>
#include <limits>

#include "healthcheck/http_response.h"
#include "healthcheck/http_syntax.h"

namespace ha::healthcheck {
namespace {

using http::excerpt;
using http::hexValue;
using http::isFieldValueChar;
using http::isWhitespace;
using http::splitFieldLine;
using http::trimWhitespace;

}  // namespace

void HttpResponseParser::consumeChunkDataEnd(std::string_view& bytes) {
  const char c = bytes.front();
  bytes.remove_prefix(1);
  ++bytesConsumed_;
  if (c == '\r' && !sawCr_) {
    sawCr_ = true;
  } else if (c == '\n') {
    phase_ = Phase::kChunkSizeLine;
  } else {
    fail(FailureReason::kBadResponse, "chunk data not followed by CRLF");
  }
}

// RFC 9112 §7.1: chunk-size [ chunk-ext ] CRLF, chunk-ext = *( BWS ";" BWS name [ BWS "=" ... ] ).
// Extensions carry nothing a health check needs: they are checked for control bytes and skipped.
void HttpResponseParser::onChunkSizeLine(std::string_view line) {
  uint64_t size = 0;
  size_t digits = 0;
  for (; digits < line.size() && hexValue(line[digits]) >= 0; ++digits) {
    if (size > (std::numeric_limits<uint64_t>::max() >> 4)) {
      fail(FailureReason::kBadResponse, "chunk size does not fit 64 bits: " + excerpt(line));
      return;
    }
    size = size << 4 | static_cast<uint64_t>(hexValue(line[digits]));
  }
  const std::string_view extensions = trimWhitespace(line.substr(digits));
  const bool extensionsOk =
      extensions.empty() || (extensions.front() == ';' &&
                             std::all_of(extensions.begin(), extensions.end(), isFieldValueChar));
  if (digits == 0 || !extensionsOk) {
    fail(FailureReason::kBadResponse, "bad chunk-size line " + excerpt(line));
    return;
  }
  if (size == 0) {
    phase_ = Phase::kTrailerLine;
    return;
  }
  if (size > options_.limits.maxBodyBytes - bodyBytes_) {
    fail(FailureReason::kTooLarge,
         "chunked body larger than " + std::to_string(options_.limits.maxBodyBytes) + " bytes");
    return;
  }
  remaining_ = size;
  phase_ = Phase::kChunkData;
}

// RFC 9112 §7.1.2: trailer fields are checked like header fields, then dropped.
void HttpResponseParser::onTrailerLine(std::string_view line) {
  if (line.empty()) {
    complete();
    return;
  }
  std::string_view name;
  std::string_view value;
  if (isWhitespace(line.front()) || !splitFieldLine(line, name, value)) {
    fail(FailureReason::kBadResponse, "malformed trailer line " + excerpt(line));
    return;
  }
  if (++trailerCount_ > options_.limits.maxHeaderCount) {
    fail(FailureReason::kTooLarge,
         "more than " + std::to_string(options_.limits.maxHeaderCount) + " trailer fields");
  }
}

}  // namespace ha::healthcheck
