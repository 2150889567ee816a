// SMTP_CHECK, DNS_CHECK and PING_CHECK against scripted loopback peers (port 0): up, down,
// timeout, malformed and foreign replies, each judged as keepalived would.
#include <gtest/gtest.h>

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "healthcheck/checkers.h"
#include "healthcheck/dns_codec.h"
#include "tests/unit/healthcheck/loopback_peers.h"

namespace ha::healthcheck {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using namespace std::chrono_literals;
using peers::ip;

class CheckerTest : public ::testing::Test {
 protected:
  ProbeResult probeOnce(Checker& checker, const ProbeSpec& spec) {
    peers::Results results;
    checker.probe(spec, results.callback());
    EXPECT_TRUE(results.all.empty()) << "done ran inside probe()";
    EXPECT_TRUE(peers::runUntil(io, [&] { return !results.all.empty(); }));
    peers::runFor(io, 20ms);
    EXPECT_EQ(results.all.size(), 1u);
    return results.all.empty() ? ProbeResult{} : results.all.front();
  }
  asio::io_context io;
};

// An SMTP peer answering each line the client sends with the next scripted reply; the first
// reply is the banner. Records what it received.
class SmtpPeer {
 public:
  SmtpPeer(asio::io_context& io, std::vector<std::string> replies)
      : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        replies_(std::move(replies)) {
    acceptor_.async_accept([this](const boost::system::error_code& error, tcp::socket socket) {
      if (error) return;
      socket_ = std::make_unique<tcp::socket>(std::move(socket));
      next();
    });
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::vector<std::string> received;

 private:
  void next() {
    if (sent_ == replies_.size()) return;
    const std::string& reply = replies_[sent_++];
    if (reply == "<close>") {
      socket_->close();
      return;
    }
    asio::async_write(
        *socket_, asio::buffer(reply), [this](const boost::system::error_code& e, size_t) {
          if (e) return;
          asio::async_read_until(
              *socket_, input_, '\n', [this](const boost::system::error_code& e2, size_t n) {
                if (e2) return;
                received.emplace_back(
                    asio::buffers_begin(input_.data()),
                    asio::buffers_begin(input_.data()) + static_cast<std::ptrdiff_t>(n));
                input_.consume(n);
                next();
              });
        });
  }

  tcp::acceptor acceptor_;
  std::vector<std::string> replies_;
  size_t sent_ = 0;
  std::unique_ptr<tcp::socket> socket_;
  asio::streambuf input_;
};

ProbeSpec smtpSpec(uint16_t port, Millis timeout = 300ms) {
  ProbeSpec spec = peers::spec(CheckKind::kSmtp, ip("127.0.0.1"), port, timeout);
  spec.heloName = "checker.example";
  return spec;
}

// keepalived's dialogue with a multi-line HELO reply passes; we said HELO and QUIT.
TEST_F(CheckerTest, SmtpServerPasses) {
  SmtpPeer peer(io, {"220-mx.example ESMTP\r\n220 ready\r\n",
                     "250-mx.example\r\n250 PIPELINING\r\n", "221 bye\r\n"});
  auto checker = makeSmtpChecker(io);
  const ProbeResult result = probeOnce(*checker, smtpSpec(peer.port()));
  EXPECT_TRUE(result.ok) << result.detail;
  ASSERT_EQ(peer.received.size(), 2u);
  EXPECT_EQ(peer.received[0], "HELO checker.example\r\n");
  EXPECT_EQ(peer.received[1], "QUIT\r\n");
}

// A 421 banner (service not available) takes the real down with what it said.
TEST_F(CheckerTest, SmtpBusyBannerFails) {
  SmtpPeer peer(io, {"421 4.3.2 shutting down\r\n"});
  auto checker = makeSmtpChecker(io);
  const ProbeResult result = probeOnce(*checker, smtpSpec(peer.port()));
  EXPECT_EQ(result.reason, FailureReason::kStatusMismatch);
  EXPECT_EQ(result.detail, "got \"421 4.3.2 shutting down\" for the 220 banner (expected 220)");
}

// Something that is not SMTP (an HTTP server on the port) is a bad response.
TEST_F(CheckerTest, SmtpNonSmtpPeerFails) {
  SmtpPeer peer(io, {"HTTP/1.1 400 Bad Request\r\n"});
  auto checker = makeSmtpChecker(io);
  EXPECT_EQ(probeOnce(*checker, smtpSpec(peer.port())).reason, FailureReason::kBadResponse);
}

// Closed after the banner: the HELO reply never came.
TEST_F(CheckerTest, SmtpCloseBeforeHeloReplyFails) {
  SmtpPeer peer(io, {"220 ok\r\n", "<close>"});
  auto checker = makeSmtpChecker(io);
  const ProbeResult result = probeOnce(*checker, smtpSpec(peer.port()));
  EXPECT_EQ(result.reason, FailureReason::kClosedEarly);
  EXPECT_NE(result.detail.find("the reply to HELO"), std::string::npos) << result.detail;
}

// Accepts but never speaks: the banner does not come within connect_timeout.
TEST_F(CheckerTest, SmtpSilentServerTimesOut) {
  peers::TcpListener silent;
  auto checker = makeSmtpChecker(io);
  const ProbeResult result = probeOnce(*checker, smtpSpec(silent.port()));
  EXPECT_EQ(result.reason, FailureReason::kTimeout);
  EXPECT_EQ(result.detail,
            "no the 220 banner from 127.0.0.1:" + std::to_string(silent.port()) + " within 300 ms");
  EXPECT_GE(result.latency, 300ms);
}

// A closed port is a refusal.
TEST_F(CheckerTest, SmtpRefused) {
  const uint16_t port = [] {
    peers::BoundSocket reserve(ip("127.0.0.1"), SOCK_STREAM);
    return reserve.port();
  }();
  auto checker = makeSmtpChecker(io);
  EXPECT_EQ(probeOnce(*checker, smtpSpec(port)).reason, FailureReason::kConnectRefused);
}

// A DNS peer that answers each query through `answer(query bytes)`; empty = no answer.
class DnsPeer {
 public:
  using Answer = std::function<std::vector<std::string>(const std::string& query)>;
  DnsPeer(asio::io_context& io, Answer answer)
      : socket_(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        answer_(std::move(answer)) {
    receive();
  }
  uint16_t port() const { return socket_.local_endpoint().port(); }
  std::vector<std::string> queries;

 private:
  void receive() {
    socket_.async_receive_from(asio::buffer(buffer_), sender_,
                               [this](const boost::system::error_code& error, size_t size) {
                                 if (error) return;
                                 queries.emplace_back(buffer_.data(), size);
                                 for (const std::string& reply : answer_(queries.back())) {
                                   socket_.send_to(asio::buffer(reply), sender_);
                                 }
                                 receive();
                               });
  }
  udp::socket socket_;
  Answer answer_;
  std::array<char, 2048> buffer_{};
  udp::endpoint sender_;
};

// The query with QR set, RCODE `rcode`, no answers: what a server says when it has none.
std::string responseTo(const std::string& query, uint8_t rcode, uint16_t idDelta = 0) {
  std::string reply = query;
  const auto id = static_cast<uint16_t>(
      ((static_cast<uint8_t>(reply[0]) << 8) | static_cast<uint8_t>(reply[1])) + idDelta);
  reply[0] = static_cast<char>(id >> 8);
  reply[1] = static_cast<char>(id & 0xff);
  reply[2] = static_cast<char>(0x81);
  reply[3] = static_cast<char>(0x80 | rcode);
  return reply;
}

ProbeSpec dnsSpec(uint16_t port) {
  ProbeSpec spec = peers::spec(CheckKind::kDns, ip("127.0.0.1"), port);
  spec.dnsType = 1;
  spec.dnsName = "www.example.org";
  return spec;
}

// NOERROR to our question passes; the query is keepalived's (RD, one question, type A, IN).
TEST_F(CheckerTest, DnsNoErrorPasses) {
  DnsPeer peer(io, [](const std::string& q) { return std::vector<std::string>{responseTo(q, 0)}; });
  auto checker = makeDnsChecker(io);
  const ProbeResult result = probeOnce(*checker, dnsSpec(peer.port()));
  EXPECT_TRUE(result.ok) << result.detail;
  ASSERT_EQ(peer.queries.size(), 1u);
  const std::string& query = peer.queries[0];
  EXPECT_EQ(query.substr(2), encodeDnsQuery(DnsQuestion{0, 1, "www.example.org"}).substr(2));
}

// A foreign reply (another id) first is ignored; the real one that follows decides.
TEST_F(CheckerTest, DnsForeignReplyIgnored) {
  DnsPeer peer(io, [](const std::string& q) {
    return std::vector<std::string>{responseTo(q, 2, 1), responseTo(q, 0)};
  });
  auto checker = makeDnsChecker(io);
  EXPECT_TRUE(probeOnce(*checker, dnsSpec(peer.port())).ok);
}

// SERVFAIL fails with its name; only foreign replies end as a timeout.
TEST_F(CheckerTest, DnsErrorsAndForeignOnly) {
  DnsPeer failing(io,
                  [](const std::string& q) { return std::vector<std::string>{responseTo(q, 2)}; });
  auto checker = makeDnsChecker(io);
  const ProbeResult servfail = probeOnce(*checker, dnsSpec(failing.port()));
  EXPECT_EQ(servfail.reason, FailureReason::kReplyMismatch);
  EXPECT_EQ(servfail.detail,
            "DNS reply from 127.0.0.1:" + std::to_string(failing.port()) + ": SERVFAIL");
  DnsPeer foreign(
      io, [](const std::string& q) { return std::vector<std::string>{responseTo(q, 0, 7)}; });
  EXPECT_EQ(probeOnce(*checker, dnsSpec(foreign.port())).reason, FailureReason::kTimeout);
}

// Our id on a truncated message is a malformed reply: fails at once, with the reason.
TEST_F(CheckerTest, DnsMalformedReplyFails) {
  DnsPeer peer(io, [](const std::string& q) {
    return std::vector<std::string>{responseTo(q, 0).substr(0, 20)};
  });
  auto checker = makeDnsChecker(io);
  const ProbeResult result = probeOnce(*checker, dnsSpec(peer.port()));
  EXPECT_EQ(result.reason, FailureReason::kBadResponse);
  EXPECT_NE(result.detail.find("malformed DNS reply"), std::string::npos) << result.detail;
  EXPECT_LT(result.latency, 300ms);
}

// Nobody on the port: ICMP port unreachable refuses it at once.
TEST_F(CheckerTest, DnsClosedPortRefused) {
  const uint16_t port = [] {
    peers::BoundSocket reserve(ip("127.0.0.1"), SOCK_DGRAM);
    return reserve.port();
  }();
  auto checker = makeDnsChecker(io);
  EXPECT_EQ(probeOnce(*checker, dnsSpec(port)).reason, FailureReason::kConnectRefused);
}

// Loopback answers echo requests: the ping passes (ping socket or raw socket, whichever the
// kernel allows us). A test run without either permission skips, saying so.
TEST_F(CheckerTest, PingLoopbackPasses) {
  auto checker = makePingChecker(io);
  const ProbeResult v4 = probeOnce(*checker, peers::spec(CheckKind::kPing, ip("127.0.0.1"), 0));
  if (v4.reason == FailureReason::kLocalError) GTEST_SKIP() << "no ICMP socket: " << v4.detail;
  EXPECT_TRUE(v4.ok) << v4.detail;
  const ProbeResult v6 = probeOnce(*checker, peers::spec(CheckKind::kPing, ip("::1"), 0));
  EXPECT_TRUE(v6.ok) << v6.detail;
  // Many in a row: each reply is matched to its own request.
  for (int i = 0; i < 5; ++i)
    EXPECT_TRUE(probeOnce(*checker, peers::spec(CheckKind::kPing, ip("127.0.0.1"), 0)).ok);
}

// A bindto of the other family is a local error before anything is sent.
TEST_F(CheckerTest, PingBindToOtherFamily) {
  auto checker = makePingChecker(io);
  ProbeSpec spec = peers::spec(CheckKind::kPing, ip("127.0.0.1"), 0);
  spec.bindTo = ip("::1");
  EXPECT_EQ(probeOnce(*checker, spec).reason, FailureReason::kLocalError);
}

// The checker destroyed with probes in flight: no callback, no descriptor left.
TEST_F(CheckerTest, DestroyedWithProbesInFlight) {
  peers::TcpListener silent;
  makeDnsChecker(io);  // the io_context's own reactor descriptors exist from here on
  const size_t before = peers::openDescriptors();
  bool called = false;
  {
    auto smtp = makeSmtpChecker(io);
    auto dns = makeDnsChecker(io);
    peers::BoundSocket quiet(ip("127.0.0.1"), SOCK_DGRAM);
    smtp->probe(smtpSpec(silent.port()), [&](const ProbeResult&) { called = true; });
    dns->probe(dnsSpec(quiet.port()), [&](const ProbeResult&) { called = true; });
    peers::runFor(io, 20ms);
  }
  peers::runFor(io, 50ms);
  EXPECT_FALSE(called);
  EXPECT_EQ(peers::openDescriptors(), before);
}

}  // namespace
}  // namespace ha::healthcheck
