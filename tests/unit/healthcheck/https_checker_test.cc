// SSL_GET against TLS servers with certificates made in the test (http_test_server.h).
#include <gtest/gtest.h>

#include "healthcheck/tls_client.h"
#include "tests/unit/healthcheck/http_test_server.h"

namespace ha::healthcheck {
namespace {

using namespace test_server;  // NOLINT(google-build-using-namespace)

constexpr char kOk[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

ProbeSpec httpsSpec(uint16_t port) {
  ProbeSpec spec = httpSpec(port);
  spec.kind = CheckKind::kHttps;
  return spec;
}

class HttpsCheckerTest : public ::testing::Test {
 protected:
  Certificate certificate_ = selfSigned("health.example");
  TlsServerContext tls_{certificate_};
  Notes notes_;
  TestServer server_{[this](int fd, const std::string&) { tls_.serve(fd, kOk, notes_); }};
};

// Without verify_peer a self-signed certificate is accepted (keepalived), and no SNI is sent
// unless enable_sni asks for it.
TEST_F(HttpsCheckerTest, SelfSignedWithoutVerify) {
  ProbeSpec spec = httpsSpec(server_.port());
  spec.virtualhost = "health.example";
  const ProbeResult result = runProbe(spec);
  EXPECT_TRUE(result.ok) << result.detail;
  ASSERT_TRUE(notes_.waitFor(3));
  EXPECT_EQ(notes_.all()[0], "sni:");
  EXPECT_NE(notes_.all()[1].find("Host: health.example\r\n"), std::string::npos) << notes_.all()[1];
  EXPECT_EQ(notes_.all()[2], "reset");  // no close_notify wait: the TCP connection is reset
}

// enable_sni sends the virtualhost as the server name.
TEST_F(HttpsCheckerTest, SniIsVirtualhost) {
  ProbeSpec spec = httpsSpec(server_.port());
  spec.virtualhost = "health.example";
  spec.enableSni = true;
  EXPECT_TRUE(runProbe(spec).ok);
  ASSERT_TRUE(notes_.waitFor(1));
  EXPECT_EQ(notes_.all()[0], "sni:health.example");
}

// verify_peer with the server's certificate as CA and a matching virtualhost passes.
TEST_F(HttpsCheckerTest, VerifiedWithRightCa) {
  TempFile ca(certificate_.pem());
  ProbeSpec spec = httpsSpec(server_.port());
  spec.verifyPeer = true;
  spec.caFile = ca.path();
  spec.virtualhost = "health.example";
  spec.enableSni = true;
  const ProbeResult result = runProbe(spec);
  EXPECT_TRUE(result.ok) << result.detail;
}

// verify_peer with a CA that did not sign the server's certificate is kTlsVerify.
TEST_F(HttpsCheckerTest, WrongCaRefused) {
  TempFile otherCa(selfSigned("health.example").pem());
  ProbeSpec spec = httpsSpec(server_.port());
  spec.verifyPeer = true;
  spec.caFile = otherCa.path();
  const ProbeResult result = runProbe(spec);
  EXPECT_EQ(result.reason, FailureReason::kTlsVerify) << result.detail;
  EXPECT_NE(result.detail.find("self-signed"), std::string::npos) << result.detail;
}

// verify_peer with the right CA but a virtualhost the certificate does not name is kTlsVerify.
TEST_F(HttpsCheckerTest, WrongNameRefused) {
  TempFile ca(certificate_.pem());
  ProbeSpec spec = httpsSpec(server_.port());
  spec.verifyPeer = true;
  spec.caFile = ca.path();
  spec.virtualhost = "other.example";
  const ProbeResult result = runProbe(spec);
  EXPECT_EQ(result.reason, FailureReason::kTlsVerify) << result.detail;
  EXPECT_NE(result.detail.find("hostname mismatch"), std::string::npos) << result.detail;
}

// A CA file that cannot be read is our error, not the real's.
TEST_F(HttpsCheckerTest, MissingCaFile) {
  ProbeSpec spec = httpsSpec(server_.port());
  spec.verifyPeer = true;
  spec.caFile = "/nonexistent/ca.pem";
  const ProbeResult result = runProbe(spec);
  EXPECT_EQ(result.reason, FailureReason::kLocalError);
  EXPECT_NE(result.detail.find("/nonexistent/ca.pem"), std::string::npos) << result.detail;
}

// A body delimited by the close is complete whether the server sends close_notify or just
// closes TCP (stream_truncated), as most HTTPS servers do.
TEST(HttpsBodyTest, BodyUntilCloseWithAndWithoutCloseNotify) {
  const Certificate certificate = selfSigned("health.example");
  const TlsServerContext tls(certificate);
  for (TlsEnding ending : {TlsEnding::kCloseNotify, TlsEnding::kDropTcp}) {
    Notes notes;
    TestServer server([&](int fd, const std::string&) {
      tls.serve(fd, "HTTP/1.0 200 OK\r\n\r\nhello world", notes, ending);
    });
    ProbeSpec spec = httpsSpec(server.port());
    spec.urls = {url("/", "5eb63bbbe01eeed093cb22bb8f5acdc3")};
    const ProbeResult result = runProbe(spec);
    EXPECT_TRUE(result.ok) << result.detail;
  }
}

// A "TLS" server that answers the ClientHello with plain text fails the handshake.
TEST(HttpsGarbageTest, GarbageServerFailsHandshake) {
  TestServer server([](int fd, const std::string&) {
    char hello[512];
    ::recv(fd, hello, sizeof hello, 0);
    sendAll(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    awaitClose(fd);
  });
  const ProbeResult result = runProbe(httpsSpec(server.port()));
  EXPECT_EQ(result.reason, FailureReason::kTlsHandshake) << result.detail;
  EXPECT_EQ(result.detail.rfind("TLS handshake with 127.0.0.1:", 0), 0u) << result.detail;
}

// A server that takes the ClientHello and never answers holds the probe no longer than
// connect_timeout.
TEST(HttpsGarbageTest, SilentServerTimesOut) {
  TestServer server([](int fd, const std::string&) { awaitClose(fd); });
  ProbeSpec spec = httpsSpec(server.port());
  spec.connectTimeout = 300ms;
  const ProbeResult result = runProbe(spec);
  EXPECT_EQ(result.reason, FailureReason::kTimeout) << result.detail;
  EXPECT_NE(result.detail.find("TLS handshake"), std::string::npos) << result.detail;
  EXPECT_LT(result.latency, spec.connectTimeout + kSchedulingSlack);
}

// The host part of a virtualhost is what SNI and the name check use.
TEST(TlsClientTest, HostWithoutPort) {
  EXPECT_EQ(hostWithoutPort("www.example:8443"), "www.example");
  EXPECT_EQ(hostWithoutPort("www.example"), "www.example");
  EXPECT_EQ(hostWithoutPort("[fd00::1]:443"), "fd00::1");
  EXPECT_EQ(hostWithoutPort("fd00::1"), "fd00::1");
  EXPECT_EQ(hostWithoutPort("host:x"), "host:x");
}

}  // namespace
}  // namespace ha::healthcheck
