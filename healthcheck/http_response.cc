#include "healthcheck/http_response.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>

#include "healthcheck/http_syntax.h"

namespace ha::healthcheck {
namespace {

using http::equalsIgnoringCase;
using http::excerpt;
using http::isDigit;
using http::isWhitespace;
using http::listElements;
using http::parseDecimal;
using http::splitFieldLine;

constexpr std::string_view kHttpPrefix = "HTTP/";

}  // namespace

void HttpResponseParser::DigestDeleter::operator()(evp_md_ctx_st* ctx) const {
  EVP_MD_CTX_free(ctx);
}

HttpResponseParser::HttpResponseParser(HttpParseOptions options) : options_(options) {
  if (!options_.digestBody || options_.stopAfterHead) return;  // no body read, nothing to hash
  digest_.reset(EVP_MD_CTX_new());
  if (!digest_ || EVP_DigestInit_ex(digest_.get(), EVP_md5(), nullptr) != 1) {
    fail(FailureReason::kLocalError, "MD5 is not available from OpenSSL (FIPS mode?)");
  }
}

HttpResponseParser::~HttpResponseParser() = default;
HttpResponseParser::HttpResponseParser(HttpResponseParser&&) noexcept = default;
HttpResponseParser& HttpResponseParser::operator=(HttpResponseParser&&) noexcept = default;

std::optional<std::string_view> HttpResponseParser::header(std::string_view name) const {
  for (const auto& [fieldName, value] : headers_) {
    if (equalsIgnoringCase(fieldName, name)) return std::string_view(value);
  }
  return std::nullopt;
}

HttpParseState HttpResponseParser::feed(std::string_view bytes) {
  while (!bytes.empty() && state_ == HttpParseState::kNeedMore) {
    switch (phase_) {
      case Phase::kStatusLine:
      case Phase::kHeaderLine:
      case Phase::kChunkSizeLine:
      case Phase::kTrailerLine:
        consumeLine(bytes);
        break;
      case Phase::kBodyWithLength:
      case Phase::kBodyUntilClose:
      case Phase::kChunkData:
        consumeBody(bytes);
        break;
      case Phase::kChunkDataEnd:
        consumeChunkDataEnd(bytes);
        break;
      case Phase::kDone:
        return state_;
    }
  }
  return state_;
}

HttpParseState HttpResponseParser::finish() {
  if (state_ != HttpParseState::kNeedMore) return state_;
  if (phase_ == Phase::kBodyUntilClose) {
    complete();
  } else if (bytesConsumed_ == 0) {
    fail(FailureReason::kClosedEarly, "connection closed before any response");
  } else {
    fail(FailureReason::kClosedEarly,
         "connection closed after " + std::to_string(bytesConsumed_) + " bytes of the response");
  }
  return state_;
}

size_t HttpResponseParser::lineLimit() const {
  switch (phase_) {
    case Phase::kChunkSizeLine:
      return kMaxChunkLineBytes;
    case Phase::kTrailerLine:
      return options_.limits.maxHeadBytes - trailerBytes_;
    default:
      return options_.limits.maxHeadBytes - headBytes_;
  }
}

void HttpResponseParser::consumeLine(std::string_view& bytes) {
  const size_t newline = bytes.find('\n');
  const size_t take = newline == std::string_view::npos ? bytes.size() : newline + 1;
  // Refuse a non-HTTP peer (a TLS server, SSH, binary garbage) at its first bytes instead of
  // waiting up to 16 KiB for a line end that may never come. Checked before the size limit so
  // the verdict does not depend on how the bytes were cut.
  if (phase_ == Phase::kStatusLine && line_.size() < kHttpPrefix.size()) {
    const std::string_view expected = kHttpPrefix.substr(line_.size());
    const std::string_view got = bytes.substr(0, std::min(take, expected.size()));
    if (got != expected.substr(0, got.size())) {
      fail(FailureReason::kBadResponse,
           "not an HTTP response: " + excerpt(line_ + std::string(bytes.substr(0, 40))));
      return;
    }
  }
  if (line_.size() + take > lineLimit()) {
    const std::string head = std::to_string(options_.limits.maxHeadBytes);
    if (phase_ == Phase::kChunkSizeLine) {
      fail(FailureReason::kTooLarge,
           "chunk-size line longer than " + std::to_string(kMaxChunkLineBytes) + " bytes");
    } else if (phase_ == Phase::kTrailerLine) {
      fail(FailureReason::kTooLarge, "trailer section larger than " + head + " bytes");
    } else {
      fail(FailureReason::kTooLarge, "response head larger than " + head + " bytes");
    }
    return;
  }
  line_.append(bytes.substr(0, take));
  bytes.remove_prefix(take);
  bytesConsumed_ += take;
  if (newline == std::string_view::npos) return;

  // RFC 9112 §2.2: a bare LF ends a line too; a CR anywhere else is refused.
  std::string_view line(line_);
  line.remove_suffix(1);
  size_t terminatorBytes = 1;
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
    terminatorBytes = 2;
  }
  if (line.find('\r') != std::string_view::npos) {
    fail(FailureReason::kBadResponse, "bare CR in line " + excerpt(line));
    return;
  }
  onLine(line, terminatorBytes);
  line_.clear();
}

void HttpResponseParser::onLine(std::string_view line, size_t terminatorBytes) {
  switch (phase_) {
    case Phase::kStatusLine:
      headBytes_ += line.size() + terminatorBytes;
      onStatusLine(line);
      break;
    case Phase::kHeaderLine:
      headBytes_ += line.size() + terminatorBytes;
      onHeaderLine(line);
      break;
    case Phase::kChunkSizeLine:
      onChunkSizeLine(line);
      break;
    case Phase::kTrailerLine:
      trailerBytes_ += line.size() + terminatorBytes;
      onTrailerLine(line);
      break;
    default:
      break;
  }
}

// RFC 9112 §4: HTTP/1.x SP 3DIGIT SP reason-phrase. The SP before an empty reason is often
// missing in the wild and RFC 9112 tells clients to ignore the reason, so both forms pass.
void HttpResponseParser::onStatusLine(std::string_view line) {
  const bool shaped = line.size() >= 12 && line.substr(0, 5) == kHttpPrefix && isDigit(line[5]) &&
                      line[6] == '.' && isDigit(line[7]) && line[8] == ' ' && isDigit(line[9]) &&
                      isDigit(line[10]) && isDigit(line[11]) &&
                      (line.size() == 12 || line[12] == ' ');
  if (!shaped) {
    fail(FailureReason::kBadResponse, "malformed status line " + excerpt(line));
    return;
  }
  if (line[5] != '1') {
    fail(FailureReason::kBadResponse, "not HTTP/1.x: " + excerpt(line.substr(0, 8)));
    return;
  }
  versionMinor_ = line[7] - '0';
  statusCode_ = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  if (statusCode_ < 100) {
    fail(FailureReason::kBadResponse, "status code below 100 in " + excerpt(line));
    return;
  }
  reasonPhrase_ = line.size() > 12 ? std::string(line.substr(13)) : std::string();
  phase_ = Phase::kHeaderLine;
}

void HttpResponseParser::onHeaderLine(std::string_view line) {
  if (line.empty()) {
    onHeadEnd();
    return;
  }
  if (isWhitespace(line.front())) {
    fail(FailureReason::kBadResponse, "obsolete line folding in the response head (RFC 9112 §5.2)");
    return;
  }
  std::string_view name;
  std::string_view value;
  if (!splitFieldLine(line, name, value)) {
    fail(FailureReason::kBadResponse, "malformed header line " + excerpt(line));
    return;
  }
  if (headers_.size() >= options_.limits.maxHeaderCount) {
    fail(FailureReason::kTooLarge,
         "more than " + std::to_string(options_.limits.maxHeaderCount) + " header fields");
    return;
  }
  headers_.emplace_back(name, value);
}

// Message body length, RFC 9112 §6.3, in its order of precedence.
void HttpResponseParser::onHeadEnd() {
  if (statusCode_ < 200 && statusCode_ != 101) {
    // RFC 9110 §15.2: an interim response; the final one follows on the same connection.
    headers_.clear();
    reasonPhrase_.clear();
    statusCode_ = 0;
    phase_ = Phase::kStatusLine;
    return;
  }
  headComplete_ = true;
  if (statusCode_ == 101 || statusCode_ == 204 || statusCode_ == 304) {
    complete();
    return;
  }
  std::string_view lastCoding;
  bool transferEncoded = false;
  std::optional<uint64_t> contentLength;
  for (const auto& [name, value] : headers_) {
    if (equalsIgnoringCase(name, "transfer-encoding")) {
      transferEncoded = true;
      for (std::string_view coding : listElements(value)) {
        if (!coding.empty()) lastCoding = coding;
      }
      continue;
    }
    if (!equalsIgnoringCase(name, "content-length")) continue;
    // A list of equal values (or repeated equal fields) is one length, RFC 9110 §8.6.
    for (std::string_view digits : listElements(value)) {
      if (digits.empty() || !std::all_of(digits.begin(), digits.end(), isDigit)) {
        fail(FailureReason::kBadResponse, "invalid Content-Length " + excerpt(value));
        return;
      }
      const std::optional<uint64_t> length = parseDecimal(digits);
      if (!length) {
        fail(FailureReason::kTooLarge,
             "Content-Length " + excerpt(digits) + " does not fit 64 bits");
        return;
      }
      if (contentLength && *contentLength != *length) {
        fail(FailureReason::kBadResponse, "conflicting Content-Length values " +
                                              std::to_string(*contentLength) + " and " +
                                              std::to_string(*length));
        return;
      }
      contentLength = length;
    }
  }
  if (options_.stopAfterHead) {
    complete();
    return;
  }
  if (transferEncoded) {
    // Chunked only when it is the final coding; otherwise the close ends the body (§6.3 item 4).
    phase_ =
        equalsIgnoringCase(lastCoding, "chunked") ? Phase::kChunkSizeLine : Phase::kBodyUntilClose;
    return;
  }
  if (!contentLength) {
    phase_ = Phase::kBodyUntilClose;
    return;
  }
  if (*contentLength > options_.limits.maxBodyBytes) {
    fail(FailureReason::kTooLarge,
         "Content-Length " + std::to_string(*contentLength) + " beyond the " +
             std::to_string(options_.limits.maxBodyBytes) + "-byte body limit");
    return;
  }
  remaining_ = *contentLength;
  if (remaining_ == 0) {
    complete();
  } else {
    phase_ = Phase::kBodyWithLength;
  }
}

void HttpResponseParser::consumeBody(std::string_view& bytes) {
  const uint64_t take = phase_ == Phase::kBodyUntilClose
                            ? bytes.size()
                            : std::min<uint64_t>(remaining_, bytes.size());
  if (take > options_.limits.maxBodyBytes - bodyBytes_) {
    fail(FailureReason::kTooLarge,
         "body larger than " + std::to_string(options_.limits.maxBodyBytes) + " bytes");
    return;
  }
  const auto n = static_cast<size_t>(take);
  hashBody(bytes.substr(0, n));
  bytes.remove_prefix(n);
  bodyBytes_ += take;
  bytesConsumed_ += take;
  if (phase_ == Phase::kBodyUntilClose) return;
  remaining_ -= take;
  if (remaining_ != 0) return;
  if (phase_ == Phase::kBodyWithLength) {
    complete();
  } else {
    phase_ = Phase::kChunkDataEnd;
    sawCr_ = false;
  }
}

void HttpResponseParser::hashBody(std::string_view bytes) {
  if (digest_ && !bytes.empty()) EVP_DigestUpdate(digest_.get(), bytes.data(), bytes.size());
}

void HttpResponseParser::complete() {
  phase_ = Phase::kDone;
  state_ = HttpParseState::kComplete;
  if (!digest_) return;
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(digest_.get(), md.data(), &length) != 1) {
    fail(FailureReason::kLocalError, "MD5 of the body failed in OpenSSL");
    return;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned int i = 0; i < length; ++i) {
    bodyMd5Hex_ += kHex[md[i] >> 4];
    bodyMd5Hex_ += kHex[md[i] & 0xf];
  }
  digest_.reset();
}

void HttpResponseParser::fail(FailureReason reason, std::string detail) {
  phase_ = Phase::kDone;
  state_ = HttpParseState::kError;
  errorReason_ = reason;
  errorDetail_ = std::move(detail);
  line_.clear();
  line_.shrink_to_fit();
  digest_.reset();
}

}  // namespace ha::healthcheck
