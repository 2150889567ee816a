#include "healthcheck/http_response.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace ha::healthcheck {
namespace {

constexpr std::string_view kMd5Empty = "d41d8cd98f00b204e9800998ecf8427e";
constexpr std::string_view kMd5HelloWorld = "5eb63bbbe01eeed093cb22bb8f5acdc3";
constexpr std::string_view kMd5Wikipedia =
    "25b83662323c397c9944a8a7b3fef7ab";  // "Wikipedia in\r\n\r\nchunks."

// RFC 9112's chunked example, with an extension and a trailer added.
constexpr std::string_view kChunked =
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    "4;name=value\r\nWiki\r\n5 ; x\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: "
    "never\r\n\r\n";

HttpParseOptions digesting() {
  HttpParseOptions options;
  options.digestBody = true;
  return options;
}

HttpResponseParser parse(std::string_view bytes, HttpParseOptions options = digesting()) {
  HttpResponseParser parser(options);
  parser.feed(bytes);
  return parser;
}

void expectError(std::string_view bytes, FailureReason reason,
                 HttpParseOptions options = digesting()) {
  auto parser = parse(bytes, options);
  EXPECT_EQ(parser.state(), HttpParseState::kError) << bytes;
  EXPECT_EQ(parser.errorReason(), reason) << bytes << " -> " << parser.errorDetail();
  EXPECT_FALSE(parser.errorDetail().empty());
}

// A Content-Length body completes on its last byte, with status, version, reason and digest.
TEST(HttpResponseTest, ContentLengthBody) {
  auto parser = parse("HTTP/1.1 200 OK\r\nContent-Length: 11\r\nServer: x\r\n\r\nhello world");
  ASSERT_EQ(parser.state(), HttpParseState::kComplete) << parser.errorDetail();
  EXPECT_TRUE(parser.headComplete());
  EXPECT_EQ(parser.statusCode(), 200);
  EXPECT_EQ(parser.versionMinor(), 1);
  EXPECT_EQ(parser.reasonPhrase(), "OK");
  EXPECT_EQ(parser.bodyBytes(), 11u);
  EXPECT_EQ(parser.bodyMd5Hex(), kMd5HelloWorld);
}

// Field names match case-insensitively, values lose their OWS, the first of a repeated name wins.
TEST(HttpResponseTest, HeadersCaseInsensitive) {
  auto parser = parse(
      "HTTP/1.1 200 OK\r\nX-Thing:  \t a b \t\r\nx-thing: second\r\ncontent-length: 0\r\n\r\n");
  ASSERT_EQ(parser.state(), HttpParseState::kComplete);
  EXPECT_EQ(parser.header("X-THING"), "a b");
  EXPECT_EQ(parser.header("Content-Length"), "0");
  EXPECT_FALSE(parser.header("missing").has_value());
  EXPECT_EQ(parser.headers().size(), 3u);
}

// Without a length the body ends with the connection (HTTP/1.0 style), and only then.
TEST(HttpResponseTest, Http10BodyUntilClose) {
  HttpResponseParser parser(digesting());
  EXPECT_EQ(parser.feed("HTTP/1.0 200 OK\r\n\r\nhello "), HttpParseState::kNeedMore);
  EXPECT_EQ(parser.feed("world"), HttpParseState::kNeedMore);
  EXPECT_EQ(parser.versionMinor(), 0);
  EXPECT_EQ(parser.finish(), HttpParseState::kComplete);
  EXPECT_EQ(parser.bodyMd5Hex(), kMd5HelloWorld);
}

// Status lines as servers really send them: no reason, an empty reason, bare LF line ends.
TEST(HttpResponseTest, StatusLineVariants) {
  auto noReason = parse("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(noReason.state(), HttpParseState::kComplete) << noReason.errorDetail();
  EXPECT_EQ(noReason.statusCode(), 404);
  EXPECT_EQ(noReason.reasonPhrase(), "");
  auto emptyReason = parse("HTTP/1.1 503 \r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(emptyReason.state(), HttpParseState::kComplete);
  EXPECT_EQ(emptyReason.statusCode(), 503);
  auto bareLf = parse("HTTP/1.1 200 Fine Thanks\nContent-Length: 2\n\nok");
  ASSERT_EQ(bareLf.state(), HttpParseState::kComplete);
  EXPECT_EQ(bareLf.reasonPhrase(), "Fine Thanks");
}

// Anything that is not `HTTP/1.x SP 3DIGIT [SP reason]` is a bad response.
TEST(HttpResponseTest, MalformedStatusLines) {
  for (std::string_view bad :
       {"HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n", "HTTP/2.0 200 OK\r\n\r\n",
        "HTTP/1.1  200 OK\r\n\r\n", "http/1.1 200 OK\r\n\r\n", "HTTP/1.1 099 Low\r\n\r\n",
        "HTTP/1 200 OK\r\n\r\n", "\r\nHTTP/1.1 200 OK\r\n\r\n", "HTTP/1.1 2x0 OK\r\n\r\n"}) {
    expectError(bad, FailureReason::kBadResponse);
  }
}

// A peer that is not speaking HTTP is refused at its first wrong byte, without waiting for a line
// end.
TEST(HttpResponseTest, GarbageRefusedEarly) {
  HttpResponseParser parser;
  EXPECT_EQ(parser.feed("SSH-2.0-OpenSSH_9.2"), HttpParseState::kError);
  EXPECT_EQ(parser.errorReason(), FailureReason::kBadResponse);
  EXPECT_NE(parser.errorDetail().find("SSH-2.0"), std::string::npos) << parser.errorDetail();
  expectError(std::string_view("\x16\x03\x01\x00\x05", 5), FailureReason::kBadResponse);
  HttpResponseParser prefix;
  EXPECT_EQ(prefix.feed("HTT"), HttpParseState::kNeedMore);  // so far it may still be HTTP
}

// Interim 1xx responses are skipped and the final response after them is the one judged.
TEST(HttpResponseTest, InterimResponsesSkipped) {
  auto parser = parse(
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\nX: y\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world");
  ASSERT_EQ(parser.state(), HttpParseState::kComplete) << parser.errorDetail();
  EXPECT_EQ(parser.statusCode(), 200);
  EXPECT_FALSE(parser.header("X").has_value());
  EXPECT_EQ(parser.bodyMd5Hex(), kMd5HelloWorld);
}

// 204, 304 and 101 have no body whatever their headers say (RFC 9112 §6.3 item 1).
TEST(HttpResponseTest, NoBodyStatuses) {
  for (int status : {101, 204, 304}) {
    auto parser = parse("HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: 10\r\n\r\n");
    ASSERT_EQ(parser.state(), HttpParseState::kComplete) << status;
    EXPECT_EQ(parser.statusCode(), status);
    EXPECT_EQ(parser.bodyBytes(), 0u);
    EXPECT_EQ(parser.bodyMd5Hex(), kMd5Empty);
  }
}

// Header lines that RFC 9112 §5 makes invalid are refused, obs-fold included.
TEST(HttpResponseTest, MalformedHeaders) {
  for (std::string_view bad :
       {"HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n", "HTTP/1.1 200 OK\r\nX: a\r\n\tfolded\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX : a\r\n\r\n", "HTTP/1.1 200 OK\r\n: a\r\n\r\n",
        "HTTP/1.1 200 OK\r\nno colon\r\n\r\n", "HTTP/1.1 200 OK\r\nX(y): a\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX: a\x01 b\r\n\r\n", "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n"}) {
    expectError(bad, FailureReason::kBadResponse);
  }
  constexpr char kNul[] = "HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n";
  const std::string nul(kNul, sizeof kNul - 1);
  expectError(nul, FailureReason::kBadResponse);
}

// Content-Length: equal repeated values are one length; anything else is a framing error.
TEST(HttpResponseTest, ContentLengthValidation) {
  auto repeated = parse("HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok");
  EXPECT_EQ(repeated.state(), HttpParseState::kComplete) << repeated.errorDetail();
  expectError("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n",
              FailureReason::kBadResponse);
  expectError("HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n", FailureReason::kBadResponse);
  expectError("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", FailureReason::kBadResponse);
  expectError("HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n", FailureReason::kBadResponse);
  expectError("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
              FailureReason::kTooLarge);
  expectError("HTTP/1.1 200 OK\r\nContent-Length: 4194305\r\n\r\n", FailureReason::kTooLarge);
}

// RFC 9112's chunked example with an extension and a trailer gives the de-chunked body's MD5.
TEST(HttpResponseTest, ChunkedWithExtensionsAndTrailers) {
  auto parser = parse(kChunked);
  ASSERT_EQ(parser.state(), HttpParseState::kComplete) << parser.errorDetail();
  EXPECT_EQ(parser.bodyBytes(), 23u);
  EXPECT_EQ(parser.bodyMd5Hex(), kMd5Wikipedia);
  EXPECT_EQ(parser.bytesConsumed(), kChunked.size());
}

// The verdict does not depend on how the bytes are cut: every split point, and one byte at a time.
TEST(HttpResponseTest, ChunkedSplitAtEveryByte) {
  for (size_t cut = 0; cut <= kChunked.size(); ++cut) {
    HttpResponseParser parser(digesting());
    parser.feed(kChunked.substr(0, cut));
    parser.feed(kChunked.substr(cut));
    ASSERT_EQ(parser.state(), HttpParseState::kComplete)
        << "cut at " << cut << ": " << parser.errorDetail();
    EXPECT_EQ(parser.bodyMd5Hex(), kMd5Wikipedia) << "cut at " << cut;
  }
  HttpResponseParser bytewise(digesting());
  for (char c : kChunked) bytewise.feed(std::string_view(&c, 1));
  ASSERT_EQ(bytewise.state(), HttpParseState::kComplete);
  EXPECT_EQ(bytewise.bodyMd5Hex(), kMd5Wikipedia);
}

// Chunked framing errors: a non-hex size, a size past 64 bits, no CRLF after the data, junk
// after the size, an endless size line, a malformed trailer.
TEST(HttpResponseTest, ChunkedErrors) {
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  expectError(head + "zz\r\n", FailureReason::kBadResponse);
  expectError(head + "\r\n", FailureReason::kBadResponse);
  expectError(head + "1fffffffffffffffff\r\n", FailureReason::kBadResponse);
  expectError(head + "2\r\nokX\r\n", FailureReason::kBadResponse);
  expectError(head + "2 x\r\nok\r\n", FailureReason::kBadResponse);
  expectError(head + "2" + std::string(kMaxChunkLineBytes, ' '), FailureReason::kTooLarge);
  expectError(head + "0\r\nbad trailer\r\n\r\n", FailureReason::kBadResponse);
  expectError(head + "400001\r\n", FailureReason::kTooLarge);  // one chunk past the 4 MiB body cap
}

// Chunked is the framing only when it is the final coding; otherwise the close ends the body.
// Transfer-Encoding overrides Content-Length.
TEST(HttpResponseTest, TransferCodings) {
  auto gzipThenChunked = parse(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n"
      "Content-Length: 99\r\n\r\n2\r\nok\r\n0\r\n\r\n");
  EXPECT_EQ(gzipThenChunked.state(), HttpParseState::kComplete) << gzipThenChunked.errorDetail();
  HttpResponseParser chunkedThenGzip(digesting());
  chunkedThenGzip.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nhello world");
  EXPECT_EQ(chunkedThenGzip.state(), HttpParseState::kNeedMore);
  EXPECT_EQ(chunkedThenGzip.finish(), HttpParseState::kComplete);
  EXPECT_EQ(chunkedThenGzip.bodyMd5Hex(), kMd5HelloWorld);
}

// The head limit counts every byte up to the blank line: at the limit passes, one more fails.
TEST(HttpResponseTest, HeadSizeLimit) {
  const std::string head = "HTTP/1.1 204 OK\r\nX: ";
  HttpParseOptions options;
  options.limits.maxHeadBytes = 64;
  const std::string fits = head + std::string(64 - head.size() - 4, 'a') + "\r\n\r\n";
  ASSERT_EQ(fits.size(), 64u);
  EXPECT_EQ(parse(fits, options).state(), HttpParseState::kComplete);
  expectError(head + std::string(64 - head.size() - 3, 'a') + "\r\n\r\n", FailureReason::kTooLarge,
              options);
  // The default is 16 KiB, and an endless header line fails there without a line end.
  HttpResponseParser endless;
  endless.feed("HTTP/1.1 200 OK\r\nX: ");
  for (int i = 0; i < 20 && endless.state() == HttpParseState::kNeedMore; ++i)
    endless.feed(std::string(1024, 'a'));
  EXPECT_EQ(endless.state(), HttpParseState::kError);
  EXPECT_EQ(endless.errorReason(), FailureReason::kTooLarge);
  EXPECT_LE(endless.bytesConsumed(), 16u * 1024);
}

// 100 header fields pass, the 101st is too many; the same limit holds for trailers.
TEST(HttpResponseTest, HeaderCountLimit) {
  std::string fields;
  for (int i = 0; i < 100; ++i) fields += "X" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(parse("HTTP/1.1 204 OK\r\n" + fields + "\r\n").state(), HttpParseState::kComplete);
  expectError("HTTP/1.1 204 OK\r\n" + fields + "Y: v\r\n\r\n", FailureReason::kTooLarge);
  expectError(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + fields + "Y: v\r\n\r\n",
      FailureReason::kTooLarge);
}

// An endless body stops at the cap with kTooLarge, having read no more than the cap.
TEST(HttpResponseTest, EndlessBodyCapped) {
  HttpResponseParser parser(digesting());
  parser.feed("HTTP/1.1 200 OK\r\n\r\n");
  const std::string block(64 * 1024, 'x');
  int blocks = 0;
  while (parser.state() == HttpParseState::kNeedMore && blocks < 1000) {
    parser.feed(block);
    ++blocks;
  }
  EXPECT_EQ(parser.state(), HttpParseState::kError);
  EXPECT_EQ(parser.errorReason(), FailureReason::kTooLarge);
  EXPECT_EQ(blocks, 65);  // 64 blocks are exactly 4 MiB; the 65th goes past it
  EXPECT_LE(parser.bodyBytes(), HttpLimits{}.maxBodyBytes);
}

// stopAfterHead completes on the blank line and never looks at the body, however broken.
TEST(HttpResponseTest, StopAfterHead) {
  HttpParseOptions options;
  options.stopAfterHead = true;
  auto parser =
      parse("HTTP/1.1 503 Busy\r\nTransfer-Encoding: chunked\r\n\r\nnot a chunk", options);
  ASSERT_EQ(parser.state(), HttpParseState::kComplete);
  EXPECT_EQ(parser.statusCode(), 503);
  EXPECT_EQ(parser.bodyMd5Hex(), "");
  EXPECT_EQ(parser.bytesConsumed(), 49u);  // up to the blank line only
}

// A close before the response is complete is kClosedEarly, saying how far it got.
TEST(HttpResponseTest, ClosedEarly) {
  HttpResponseParser nothing;
  EXPECT_EQ(nothing.finish(), HttpParseState::kError);
  EXPECT_EQ(nothing.errorReason(), FailureReason::kClosedEarly);
  EXPECT_EQ(nothing.errorDetail(), "connection closed before any response");
  HttpResponseParser partial;
  partial.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
  EXPECT_EQ(partial.finish(), HttpParseState::kError);
  EXPECT_EQ(partial.errorReason(), FailureReason::kClosedEarly);
  EXPECT_EQ(partial.errorDetail(), "connection closed after 42 bytes of the response");
  HttpResponseParser chunked;
  chunked.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n");
  EXPECT_EQ(chunked.finish(), HttpParseState::kError);
}

// Once decided, the verdict never changes: later bytes and a later close are ignored.
TEST(HttpResponseTest, VerdictIsFinal) {
  auto complete = parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  EXPECT_EQ(complete.feed("HTTP/1.1 500 No\r\n\r\n"), HttpParseState::kComplete);
  EXPECT_EQ(complete.finish(), HttpParseState::kComplete);
  EXPECT_EQ(complete.statusCode(), 200);
  auto failed = parse("garbage");
  EXPECT_EQ(failed.feed("HTTP/1.1 200 OK\r\n\r\n"), HttpParseState::kError);
  EXPECT_EQ(failed.finish(), HttpParseState::kError);
  EXPECT_EQ(failed.errorReason(), FailureReason::kBadResponse);
}

// Without digestBody there is no digest, and an empty body with one is the MD5 of nothing.
TEST(HttpResponseTest, DigestOnlyWhenAsked) {
  auto plain = parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", HttpParseOptions{});
  ASSERT_EQ(plain.state(), HttpParseState::kComplete);
  EXPECT_EQ(plain.bodyMd5Hex(), "");
  auto empty = parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(empty.bodyMd5Hex(), kMd5Empty);
}

}  // namespace
}  // namespace ha::healthcheck
