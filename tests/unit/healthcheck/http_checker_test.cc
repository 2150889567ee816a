#include "healthcheck/http_checker.h"

#include <gtest/gtest.h>

#include <boost/asio/error.hpp>

#include "healthcheck/http_exchange.h"
#include "tests/unit/healthcheck/http_test_server.h"

namespace ha::healthcheck {
namespace {

using namespace test_server;  // NOLINT(google-build-using-namespace)

// A server that answers every request with `response` and notes the request and how it closed.
TestServer::Script answer(std::string response, Notes& notes) {
  return [response = std::move(response), &notes](int fd, const std::string&) {
    notes.add(readRequest(fd));
    sendAll(fd, response);
    notes.add(awaitClose(fd));
  };
}

// Reads the request, then sends `head` and `piece` over and over until the client goes away.
TestServer::Script endless(std::string head, std::string piece,
                           std::chrono::milliseconds pause = 0ms) {
  return [head = std::move(head), piece = std::move(piece), pause](int fd, const std::string&) {
    readRequest(fd);
    const auto giveUp = std::chrono::steady_clock::now() + 10s;
    bool open = sendAll(fd, head);
    while (open && std::chrono::steady_clock::now() < giveUp) {
      open = sendAll(fd, piece);
      std::this_thread::sleep_for(pause);
    }
  };
}

// The request is one GET with Host (the default port left out), User-Agent and Connection: close.
TEST(HttpRequestTest, RequestText) {
  ProbeSpec spec = httpSpec(80);
  EXPECT_EQ(*httpGetRequest(spec, url("/health")),
            "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: directord-healthcheck\r\n"
            "Connection: close\r\n\r\n");
  spec.port = 8080;
  EXPECT_NE(
      httpGetRequest(spec, url("")).value().find("GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"),
      std::string::npos);
  spec.address = *IpAddress::parse("fd00::1");
  EXPECT_NE(httpGetRequest(spec, url("/")).value().find("Host: [fd00::1]:8080\r\n"),
            std::string::npos);
  spec.kind = CheckKind::kHttps;
  spec.port = 443;
  EXPECT_NE(httpGetRequest(spec, url("/")).value().find("Host: [fd00::1]\r\n"), std::string::npos);
  spec.virtualhost = "www.example:8443";
  EXPECT_NE(httpGetRequest(spec, url("/")).value().find("Host: www.example:8443\r\n"),
            std::string::npos);
}

// A path or virtualhost that would break the request line or inject a header is refused.
TEST(HttpRequestTest, InjectionRefused) {
  ProbeSpec spec = httpSpec(80);
  EXPECT_FALSE(httpGetRequest(spec, url("/a b")).ok());
  EXPECT_FALSE(httpGetRequest(spec, url("/\r\nX-Evil: 1")).ok());
  spec.virtualhost = "a\r\nX: y";
  EXPECT_FALSE(httpGetRequest(spec, url("/")).ok());
}

// status_code ranges print as operators wrote them; empty means any 2xx.
TEST(HttpRequestTest, StatusRangesText) {
  UrlCheck u;
  EXPECT_EQ(statusRangesText(u), "200-299");
  u.statusCodes = {{200, 200}, {301, 302}};
  EXPECT_EQ(statusRangesText(u), "200, 301-302");
}

// Connect errors map to the reasons operators see.
TEST(HttpRequestTest, ConnectFailureReasons) {
  namespace e = boost::asio::error;
  EXPECT_EQ(connectFailureReason(make_error_code(e::connection_refused)),
            FailureReason::kConnectRefused);
  EXPECT_EQ(connectFailureReason(make_error_code(e::host_unreachable)),
            FailureReason::kUnreachable);
  EXPECT_EQ(connectFailureReason(make_error_code(e::network_unreachable)),
            FailureReason::kUnreachable);
  EXPECT_EQ(connectFailureReason(make_error_code(e::timed_out)), FailureReason::kConnectTimeout);
  EXPECT_EQ(connectFailureReason(make_error_code(e::address_in_use)), FailureReason::kLocalError);
}

// A 200 passes; the server got our exact request, and our close was an RST (no TIME_WAIT).
TEST(HttpCheckerTest, Passes) {
  Notes notes;
  TestServer server(answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", notes));
  const ProbeResult result = runProbe(httpSpec(server.port(), {url("/health")}));
  EXPECT_TRUE(result.ok) << result.detail;
  EXPECT_GT(result.latency.count(), 0);
  ASSERT_TRUE(notes.waitFor(2));
  EXPECT_EQ(notes.all()[0],
            "GET /health HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(server.port()) +
                "\r\nUser-Agent: directord-healthcheck\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(notes.all()[1], "reset");
}

// A status outside status_code fails and says what came and what was expected.
TEST(HttpCheckerTest, StatusMismatch) {
  Notes notes;
  TestServer server(answer("HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n", notes));
  const ProbeResult result = runProbe(httpSpec(server.port(), {url("/health")}));
  EXPECT_EQ(result.reason, FailureReason::kStatusMismatch);
  EXPECT_EQ(result.detail, "HTTP 503 for /health (expected 200-299)");
  UrlCheck accept503 = url("/health");
  accept503.statusCodes = {{500, 503}};
  EXPECT_TRUE(runProbe(httpSpec(server.port(), {accept503})).ok);
}

// With a digest the body's MD5 must match; a different body fails naming both digests.
TEST(HttpCheckerTest, Digest) {
  Notes notes;
  TestServer server(answer("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world", notes));
  EXPECT_TRUE(runProbe(httpSpec(server.port(), {url("/", "5eb63bbbe01eeed093cb22bb8f5acdc3")})).ok);
  const ProbeResult wrong =
      runProbe(httpSpec(server.port(), {url("/", "900150983cd24fb0d6963f7d28e17f72")}));
  EXPECT_EQ(wrong.reason, FailureReason::kDigestMismatch);
  EXPECT_EQ(
      wrong.detail,
      "digest 5eb63bbbe01eeed093cb22bb8f5acdc3 for / (expected 900150983cd24fb0d6963f7d28e17f72)");
}

// A peer that does not speak HTTP is a bad response.
TEST(HttpCheckerTest, Garbage) {
  Notes notes;
  TestServer server(answer("SSH-2.0-OpenSSH_9.2\r\n", notes));
  const ProbeResult result = runProbe(httpSpec(server.port()));
  EXPECT_EQ(result.reason, FailureReason::kBadResponse);
  EXPECT_NE(result.detail.find("SSH-2.0"), std::string::npos) << result.detail;
}

// A peer that accepts and never answers: kTimeout at connect_timeout, then an RST.
TEST(HttpCheckerTest, NeverAnswers) {
  Notes notes;
  TestServer server([&](int fd, const std::string&) {
    readRequest(fd);
    notes.add(awaitClose(fd));
  });
  ProbeSpec spec = httpSpec(server.port());
  spec.connectTimeout = 300ms;
  const ProbeResult result = runProbe(spec);
  EXPECT_EQ(result.reason, FailureReason::kTimeout);
  EXPECT_GE(result.latency, 300ms);
  EXPECT_LT(result.latency, spec.connectTimeout + kSchedulingSlack);
  ASSERT_TRUE(notes.waitFor(1));
  EXPECT_EQ(notes.all()[0], "reset");
}

// A connect nobody answers (SYN dropped) is kConnectTimeout at connect_timeout.
TEST(HttpCheckerTest, ConnectTimeout) {
  SilentListener silent;
  ProbeSpec spec = httpSpec(silent.port());
  spec.connectTimeout = 300ms;
  const ProbeResult result = runProbe(spec);
  EXPECT_EQ(result.reason, FailureReason::kConnectTimeout) << result.detail;
  EXPECT_GE(result.latency, 300ms);
  EXPECT_LT(result.latency, spec.connectTimeout + kSchedulingSlack);
}

// A byte every 50 ms does not push the deadline back.
TEST(HttpCheckerTest, TricklingPeerTimesOut) {
  TestServer server(endless("HTTP/1.1 200 OK\r\nX-Slow: ", "a", 50ms));
  ProbeSpec spec = httpSpec(server.port());
  spec.connectTimeout = 300ms;
  const ProbeResult result = runProbe(spec);
  EXPECT_EQ(result.reason, FailureReason::kTimeout) << result.detail;
  EXPECT_LT(result.latency, spec.connectTimeout + kSchedulingSlack);
  EXPECT_NE(result.detail.find("bytes received"), std::string::npos) << result.detail;
}

// An endless body stops at the 4 MiB cap, with or without a digest: the body is always read to
// its end, so a real that never finishes its response fails (memory stays bounded either way).
TEST(HttpCheckerTest, EndlessBody) {
  TestServer server(endless("HTTP/1.1 200 OK\r\n\r\n", std::string(64 * 1024, 'x')));
  ProbeSpec spec = httpSpec(server.port(), {url("/", "5eb63bbbe01eeed093cb22bb8f5acdc3")});
  spec.connectTimeout = 5000ms;
  const ProbeResult capped = runProbe(spec);
  EXPECT_EQ(capped.reason, FailureReason::kTooLarge) << capped.detail;
  ProbeSpec noDigest = httpSpec(server.port());
  noDigest.connectTimeout = 5000ms;
  const ProbeResult cappedToo = runProbe(noDigest);
  EXPECT_EQ(cappedToo.reason, FailureReason::kTooLarge) << cappedToo.detail;
}

// Without a digest, a response cut short of its Content-Length still fails (keepalived reads the
// whole body too): the status line alone does not prove the real works.
TEST(HttpCheckerTest, ClosedMidBodyWithoutDigest) {
  TestServer server([](int fd, const std::string&) {
    readRequest(fd);
    sendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
  });
  const ProbeResult result = runProbe(httpSpec(server.port()));
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.reason, FailureReason::kClosedEarly) << result.detail;
}

// Endless headers stop at the 16 KiB head limit.
TEST(HttpCheckerTest, EndlessHeaders) {
  TestServer server(endless("HTTP/1.1 200 OK\r\n", "X-Pad: " + std::string(1000, 'a') + "\r\n"));
  const ProbeResult result = runProbe(httpSpec(server.port()));
  EXPECT_EQ(result.reason, FailureReason::kTooLarge) << result.detail;
}

// A close (FIN) or a reset before the response is complete is kClosedEarly, with how far it got.
TEST(HttpCheckerTest, ClosedMidResponse) {
  Notes notes;
  TestServer fin([](int fd, const std::string&) {
    readRequest(fd);
    sendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc");
  });
  const ProbeResult closed =
      runProbe(httpSpec(fin.port(), {url("/", "5eb63bbbe01eeed093cb22bb8f5acdc3")}));
  EXPECT_EQ(closed.reason, FailureReason::kClosedEarly);
  EXPECT_EQ(closed.detail, "connection closed after 43 bytes of the response to /");
  TestServer reset([](int fd, const std::string&) {
    readRequest(fd);
    sendAll(fd, "HTTP/1.1 200 OK\r\nContent-");
    std::this_thread::sleep_for(50ms);
    resetConnection(fd);
  });
  const ProbeResult wasReset = runProbe(httpSpec(reset.port()));
  EXPECT_EQ(wasReset.reason, FailureReason::kClosedEarly);
  EXPECT_NE(wasReset.detail.find("connection reset after 25 bytes of the response to /"),
            std::string::npos)
      << wasReset.detail;
}

// A port nobody listens on is kConnectRefused.
TEST(HttpCheckerTest, Refused) {
  RefusingPort refusing;
  const ProbeResult result = runProbe(httpSpec(refusing.port()));
  EXPECT_EQ(result.reason, FailureReason::kConnectRefused) << result.detail;
  EXPECT_NE(result.detail.find("connect to 127.0.0.1:"), std::string::npos) << result.detail;
}

// Every url must pass, in order, each on its own connection; the failure names its url.
TEST(HttpCheckerTest, SecondUrlFails) {
  TestServer server([](int fd, const std::string&) {
    const std::string request = readRequest(fd);
    sendAll(fd, request.starts_with("GET /b ") ? "HTTP/1.1 500 No\r\nContent-Length: 0\r\n\r\n"
                                               : "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    awaitClose(fd);
  });
  const ProbeResult result = runProbe(httpSpec(server.port(), {url("/a"), url("/b")}));
  EXPECT_EQ(result.reason, FailureReason::kStatusMismatch);
  EXPECT_EQ(result.detail, "HTTP 500 for /b (expected 200-299)");
  EXPECT_EQ(server.connections(), 2);
  EXPECT_TRUE(runProbe(httpSpec(server.port(), {url("/a"), url("/c")})).ok);
}

// bindto and bind_port set the probe's source address and port.
TEST(HttpCheckerTest, BindTo) {
  Notes notes;
  TestServer server([&](int fd, const std::string& peer) {
    notes.add(peer);
    readRequest(fd);
    sendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    awaitClose(fd);
  });
  const int probe = ::socket(AF_INET, SOCK_STREAM, 0);  // finds a free port on 127.0.0.2
  const sockaddr_in sa = loopback(0, "127.0.0.2");
  ASSERT_EQ(::bind(probe, reinterpret_cast<const sockaddr*>(&sa), sizeof sa), 0);
  const uint16_t port = localPort(probe);
  ::close(probe);
  ProbeSpec spec = httpSpec(server.port());
  spec.bindTo = IpAddress::parse("127.0.0.2");
  spec.bindPort = port;
  EXPECT_TRUE(runProbe(spec).ok);
  ASSERT_TRUE(notes.waitFor(1));
  EXPECT_EQ(notes.all()[0], "127.0.0.2:" + std::to_string(port));
  spec.bindTo = IpAddress::parse("192.0.2.1");  // not ours
  const ProbeResult notLocal = runProbe(spec);
  EXPECT_EQ(notLocal.reason, FailureReason::kLocalError);
  EXPECT_NE(notLocal.detail.find("bind to 192.0.2.1"), std::string::npos) << notLocal.detail;
}

// A spec without urls is refused visibly rather than passing.
TEST(HttpCheckerTest, NoUrls) {
  const ProbeResult result = runProbe(httpSpec(80, {}));
  EXPECT_EQ(result.reason, FailureReason::kLocalError);
}

// Destroying the checker mid-probe closes the socket and drops `done`; so does destroying it
// before the probe started.
TEST(HttpCheckerTest, DestroyedCheckerDropsProbes) {
  Notes notes;
  TestServer server([&](int fd, const std::string&) {
    readRequest(fd);
    notes.add(awaitClose(fd));
  });
  boost::asio::io_context io;
  auto checker = makeHttpChecker(io);
  int calls = 0;
  checker->probe(httpSpec(server.port()), [&](ProbeResult) { ++calls; });
  io.run_for(200ms);
  checker.reset();
  io.run_for(1s);
  EXPECT_EQ(calls, 0);
  ASSERT_TRUE(notes.waitFor(1));
  EXPECT_EQ(notes.all()[0], "reset");

  auto early = makeHttpChecker(io);
  early->probe(httpSpec(server.port()), [&](ProbeResult) { ++calls; });
  early.reset();
  io.restart();
  io.run_for(1s);
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(server.connections(), 1);
}

// `done` may destroy the checker; its other probe in flight is then dropped, not reported.
TEST(HttpCheckerTest, DoneMayDestroyChecker) {
  TestServer silent([](int fd, const std::string&) {
    readRequest(fd);
    awaitClose(fd);
  });
  RefusingPort refusing;
  boost::asio::io_context io;
  std::unique_ptr<Checker> checker = makeHttpChecker(io);
  std::vector<FailureReason> reasons;
  checker->probe(httpSpec(silent.port()), [&](ProbeResult r) { reasons.push_back(r.reason); });
  checker->probe(httpSpec(refusing.port()), [&](ProbeResult r) {
    reasons.push_back(r.reason);
    checker.reset();
  });
  io.run_for(3s);
  EXPECT_EQ(reasons, std::vector<FailureReason>{FailureReason::kConnectRefused});
  EXPECT_EQ(checker, nullptr);
}

}  // namespace
}  // namespace ha::healthcheck
