#pragma once
// An incremental HTTP/1.x response parser (RFC 9112) for HTTP_GET and SSL_GET. Pure: bytes in,
// a verdict out, no socket and no timer (docs/style.md §1), so the checker's asio shell only moves
// bytes. It keeps the final response's head but never the body, only the body's MD5 (keepalived's
// genhash digest), and its memory is bounded whatever it is fed: the head by
// HttpLimits::maxHeadBytes, a chunk-size line by kMaxChunkLineBytes, the trailer section by
// maxHeadBytes again; body bytes are hashed and dropped, and counted against maxBodyBytes.
// The chunked coding lives in http_response_chunked.cc, the lexical rules in http_syntax.h.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "healthcheck/checker.h"

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX, kept out of this header

namespace ha::healthcheck {

struct HttpLimits {
  size_t maxHeadBytes = 16 * 1024;  // status lines + header lines with their CRLFs, 1xx included
  size_t maxHeaderCount = 100;      // per head, and again for the trailer section
  uint64_t maxBodyBytes = uint64_t{4} << 20;  // de-chunked body bytes the parser will read
};

// A chunk-size line with its extensions (RFC 9112 §7.1.1) never needs more than this.
inline constexpr size_t kMaxChunkLineBytes = 4096;

struct HttpParseOptions {
  bool digestBody =
      false;  // MD5 the (de-chunked) body as it streams through; not with stopAfterHead
  // Complete as soon as the final response's head is in: a check without a digest judges the
  // status alone and must not read a body that may never end.
  bool stopAfterHead = false;
  HttpLimits limits;
};

enum class HttpParseState : uint8_t { kNeedMore, kComplete, kError };

class HttpResponseParser {
 public:
  explicit HttpResponseParser(HttpParseOptions options = {});
  ~HttpResponseParser();
  HttpResponseParser(HttpResponseParser&&) noexcept;
  HttpResponseParser& operator=(HttpResponseParser&&) noexcept;
  HttpResponseParser(const HttpResponseParser&) = delete;
  HttpResponseParser& operator=(const HttpResponseParser&) = delete;

  // Consumes bytes until the response is complete or wrong; bytes past a complete response are
  // ignored (we send `Connection: close`, nothing else can follow). Once the state is kComplete or
  // kError it never changes again.
  HttpParseState feed(std::string_view bytes);
  // The peer closed the connection: ends a body delimited by the close (RFC 9112 §6.3 item 8),
  // else the response is incomplete (kClosedEarly).
  HttpParseState finish();
  HttpParseState state() const { return state_; }

  bool headComplete() const { return headComplete_; }  // of the final (non-1xx) response
  int statusCode() const { return statusCode_; }
  int versionMinor() const { return versionMinor_; }  // HTTP/1.<minor>
  const std::string& reasonPhrase() const { return reasonPhrase_; }
  // The first field of that name, case-insensitively (RFC 9110 §5.1), value without OWS.
  std::optional<std::string_view> header(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }

  uint64_t bytesConsumed() const { return bytesConsumed_; }
  uint64_t bodyBytes() const { return bodyBytes_; }
  // Lowercase hex MD5 of the body once complete with digestBody; "" otherwise.
  const std::string& bodyMd5Hex() const { return bodyMd5Hex_; }

  // kBadResponse, kTooLarge, kClosedEarly (or kLocalError when MD5 is unavailable).
  FailureReason errorReason() const { return errorReason_; }
  const std::string& errorDetail() const { return errorDetail_; }

 private:
  enum class Phase : uint8_t {
    kStatusLine,
    kHeaderLine,
    kBodyWithLength,
    kBodyUntilClose,
    kChunkSizeLine,
    kChunkData,
    kChunkDataEnd,  // the CRLF after chunk-data
    kTrailerLine,
    kDone,
  };
  struct DigestDeleter {
    void operator()(evp_md_ctx_st* ctx) const;
  };

  void consumeLine(std::string_view& bytes);
  void consumeBody(std::string_view& bytes);
  void consumeChunkDataEnd(std::string_view& bytes);
  size_t lineLimit() const;
  void onLine(std::string_view line, size_t terminatorBytes);
  void onStatusLine(std::string_view line);
  void onHeaderLine(std::string_view line);
  void onHeadEnd();
  void onChunkSizeLine(std::string_view line);
  void onTrailerLine(std::string_view line);
  void hashBody(std::string_view bytes);
  void complete();
  void fail(FailureReason reason, std::string detail);

  HttpParseOptions options_;
  HttpParseState state_ = HttpParseState::kNeedMore;
  Phase phase_ = Phase::kStatusLine;
  std::string line_;    // the line being assembled, never longer than lineLimit()
  bool sawCr_ = false;  // kChunkDataEnd: the CR of the CRLF came

  size_t headBytes_ = 0;  // all head lines so far, interim 1xx responses included
  size_t trailerBytes_ = 0;
  size_t trailerCount_ = 0;
  bool headComplete_ = false;
  int statusCode_ = 0;
  int versionMinor_ = 0;
  std::string reasonPhrase_;
  std::vector<std::pair<std::string, std::string>> headers_;

  uint64_t bytesConsumed_ = 0;
  uint64_t bodyBytes_ = 0;
  uint64_t remaining_ = 0;  // of the Content-Length body or of the current chunk
  std::unique_ptr<evp_md_ctx_st, DigestDeleter> digest_;
  std::string bodyMd5Hex_;

  FailureReason errorReason_ = FailureReason::kNone;
  std::string errorDetail_;
};

}  // namespace ha::healthcheck
