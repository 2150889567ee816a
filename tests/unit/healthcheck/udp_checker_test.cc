// UDP_CHECK against real loopback peers (port 0, no root): replies that match or not, silence
// with and without require_reply, ICMP port unreachable, bindto, and the lifetime contract.
#include <gtest/gtest.h>

#include <array>
#include <boost/asio/ip/udp.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "healthcheck/checkers.h"
#include "tests/unit/healthcheck/loopback_peers.h"

namespace ha::healthcheck {
namespace {

using namespace std::chrono_literals;
using boost::asio::ip::udp;
using peers::ip;

// Answers every datagram with `reply` (if any) on the checker's own io_context, and keeps what
// it received and from whom.
class UdpResponder {
 public:
  UdpResponder(boost::asio::io_context& io, std::optional<std::string> reply,
               const char* address = "127.0.0.1")
      : socket_(io, udp::endpoint(boost::asio::ip::make_address(address), 0)),
        reply_(std::move(reply)) {
    receive();
  }
  uint16_t port() const { return socket_.local_endpoint().port(); }
  std::vector<std::string> received;
  std::vector<udp::endpoint> senders;

 private:
  void receive() {
    socket_.async_receive_from(boost::asio::buffer(buffer_), sender_,
                               [this](const boost::system::error_code& error, size_t size) {
                                 if (error) return;
                                 received.emplace_back(buffer_.data(), size);
                                 senders.push_back(sender_);
                                 if (reply_) socket_.send_to(boost::asio::buffer(*reply_), sender_);
                                 receive();
                               });
  }

  udp::socket socket_;
  std::optional<std::string> reply_;
  std::array<char, 2048> buffer_{};
  udp::endpoint sender_;
};

ProbeSpec udpSpec(const IpAddress& address, uint16_t port, std::optional<std::string> requireReply,
                  Millis timeout = 300ms) {
  ProbeSpec spec = peers::spec(CheckKind::kUdp, address, port, timeout);
  spec.requireReply = std::move(requireReply);
  return spec;
}

// A port nobody holds (bound for a moment, then released): the kernel answers port unreachable.
uint16_t closedUdpPort(const IpAddress& address) {
  peers::BoundSocket reserve(address, SOCK_DGRAM);
  return reserve.port();
}

class UdpCheckerTest : public ::testing::Test {
 protected:
  ProbeResult probeOnce(const ProbeSpec& spec) {
    peers::Results results;
    checker->probe(spec, results.callback());
    EXPECT_TRUE(results.all.empty()) << "done ran inside probe()";
    EXPECT_TRUE(peers::runUntil(io, [&] { return !results.all.empty(); }));
    peers::runFor(io, 20ms);
    EXPECT_EQ(results.all.size(), 1u);
    return results.all.empty() ? ProbeResult{} : results.all.front();
  }

  boost::asio::io_context io;
  std::unique_ptr<Checker> checker = makeUdpChecker(io);
};

// The payload goes out as given, and a reply that starts with require_reply passes at once.
TEST_F(UdpCheckerTest, ReplyStartingWithExpectedBytesPasses) {
  UdpResponder responder(io, std::string("PONG and more"));
  ProbeSpec spec = udpSpec(ip("127.0.0.1"), responder.port(), std::string("PONG"));
  spec.payload = std::string("PING\0\x01", 6);
  const ProbeResult result = probeOnce(spec);
  EXPECT_TRUE(result.ok) << result.detail;
  EXPECT_LT(result.latency, 300ms);
  ASSERT_EQ(responder.received.size(), 1u);
  EXPECT_EQ(responder.received[0], std::string("PING\0\x01", 6));
}

// An empty payload is sent as one zero byte (a zero-length datagram reaches few services).
TEST_F(UdpCheckerTest, EmptyPayloadSendsOneZeroByte) {
  UdpResponder responder(io, std::string("x"));
  EXPECT_TRUE(probeOnce(udpSpec(ip("127.0.0.1"), responder.port(), std::string())).ok);
  ASSERT_EQ(responder.received.size(), 1u);
  EXPECT_EQ(responder.received[0], std::string(1, '\0'));
}

// A reply with other bytes fails as reply-mismatch without waiting for the timeout.
TEST_F(UdpCheckerTest, WrongReplyIsReplyMismatch) {
  UdpResponder responder(io, std::string("NOPE"));
  const ProbeResult result =
      probeOnce(udpSpec(ip("127.0.0.1"), responder.port(), std::string("PONG")));
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.reason, FailureReason::kReplyMismatch);
  EXPECT_EQ(result.detail, "reply of 4 bytes from 127.0.0.1:" + std::to_string(responder.port()) +
                               " does not start with the 4 expected bytes");
  EXPECT_LT(result.latency, 300ms);
}

// A reply shorter than the expected bytes cannot match.
TEST_F(UdpCheckerTest, ShortReplyIsReplyMismatch) {
  UdpResponder responder(io, std::string("PO"));
  EXPECT_EQ(probeOnce(udpSpec(ip("127.0.0.1"), responder.port(), std::string("PONG"))).reason,
            FailureReason::kReplyMismatch);
}

// An empty require_reply accepts any reply, even an empty datagram.
TEST_F(UdpCheckerTest, EmptyRequireReplyAcceptsAnyReply) {
  UdpResponder responder(io, std::string());
  EXPECT_TRUE(probeOnce(udpSpec(ip("127.0.0.1"), responder.port(), std::string())).ok);
}

// With require_reply, silence from an open port is a timeout at connect_timeout.
TEST_F(UdpCheckerTest, NoReplyWithRequireReplyTimesOut) {
  peers::BoundSocket silent(ip("127.0.0.1"), SOCK_DGRAM);
  const ProbeResult result =
      probeOnce(udpSpec(ip("127.0.0.1"), silent.port(), std::string("PONG")));
  EXPECT_EQ(result.reason, FailureReason::kTimeout);
  EXPECT_EQ(result.detail,
            "no reply from 127.0.0.1:" + std::to_string(silent.port()) + " within 300 ms");
  EXPECT_GE(result.latency, 300ms);
  EXPECT_LT(result.latency, 800ms);
}

// Without require_reply, an open but silent port passes once connect_timeout passed without an
// ICMP error (keepalived's semantics), and not before.
TEST_F(UdpCheckerTest, SilentOpenPortWithoutRequireReplyPassesAfterTimeout) {
  peers::BoundSocket silent(ip("127.0.0.1"), SOCK_DGRAM);
  const ProbeResult result = probeOnce(udpSpec(ip("127.0.0.1"), silent.port(), std::nullopt));
  EXPECT_TRUE(result.ok);
  EXPECT_GE(result.latency, 300ms);
}

// Without require_reply, any reply passes at once.
TEST_F(UdpCheckerTest, AnyReplyWithoutRequireReplyPassesAtOnce) {
  UdpResponder responder(io, std::string("whatever"));
  const ProbeResult result = probeOnce(udpSpec(ip("127.0.0.1"), responder.port(), std::nullopt));
  EXPECT_TRUE(result.ok);
  EXPECT_LT(result.latency, 300ms);
}

// ICMP port unreachable fails the probe at once, with or without require_reply.
TEST_F(UdpCheckerTest, ClosedPortIsRefusedAtOnce) {
  const uint16_t port = closedUdpPort(ip("127.0.0.1"));
  for (const auto& requireReply :
       {std::optional<std::string>(), std::optional<std::string>("PONG")}) {
    const ProbeResult result = probeOnce(udpSpec(ip("127.0.0.1"), port, requireReply));
    EXPECT_EQ(result.reason, FailureReason::kConnectRefused);
    EXPECT_EQ(result.detail,
              "receive from 127.0.0.1:" + std::to_string(port) + ": Connection refused");
    EXPECT_LT(result.latency, 300ms);
  }
}

// IPv6: a reply on ::1 passes, and ICMPv6 port unreachable is a refusal.
TEST_F(UdpCheckerTest, Ipv6LoopbackRepliesAndRefuses) {
  UdpResponder responder(io, std::string("PONG"), "::1");
  EXPECT_TRUE(probeOnce(udpSpec(ip("::1"), responder.port(), std::string("PONG"))).ok);
  const ProbeResult refused = probeOnce(udpSpec(ip("::1"), closedUdpPort(ip("::1")), std::nullopt));
  EXPECT_EQ(refused.reason, FailureReason::kConnectRefused);
  EXPECT_LT(refused.latency, 300ms);
}

// bindto and bind_port set the datagram's source.
TEST_F(UdpCheckerTest, BindtoSetsTheSource) {
  UdpResponder responder(io, std::string("PONG"));
  ProbeSpec spec = udpSpec(ip("127.0.0.1"), responder.port(), std::string("PONG"));
  spec.bindTo = ip("127.0.0.2");
  spec.bindPort = closedUdpPort(ip("127.0.0.2"));
  EXPECT_TRUE(probeOnce(spec).ok);
  ASSERT_EQ(responder.senders.size(), 1u);
  EXPECT_EQ(responder.senders[0].address().to_string(), "127.0.0.2");
  EXPECT_EQ(responder.senders[0].port(), spec.bindPort);
}

// Destroying the checker with probes waiting runs no callback and closes every socket.
TEST_F(UdpCheckerTest, DestroyedCheckerDropsCallbacksAndClosesSockets) {
  peers::BoundSocket silent(ip("127.0.0.1"), SOCK_DGRAM);
  checker.reset();
  const size_t descriptorsBefore = peers::openDescriptors();
  checker = makeUdpChecker(io);
  int calls = 0;
  for (int i = 0; i < 20; ++i) {
    checker->probe(udpSpec(ip("127.0.0.1"), silent.port(), std::nullopt, 100ms),
                   [&](ProbeResult) { ++calls; });
  }
  checker.reset();
  EXPECT_EQ(peers::openDescriptors(), descriptorsBefore);
  peers::runFor(io, 250ms);
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace ha::healthcheck
