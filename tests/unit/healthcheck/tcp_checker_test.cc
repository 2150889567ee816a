// TCP_CHECK against real loopback peers (port 0, no root): connect outcomes, bindto, IPv6, many
// probes at once, and the lifetime contract of checker.h.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <memory>
#include <vector>

#include "healthcheck/checkers.h"
#include "tests/unit/healthcheck/loopback_peers.h"

namespace ha::healthcheck {
namespace {

using namespace std::chrono_literals;
using peers::ip;

ProbeSpec tcpSpec(const IpAddress& address, uint16_t port, Millis timeout = 300ms) {
  return peers::spec(CheckKind::kTcp, address, port, timeout);
}

class TcpCheckerTest : public ::testing::Test {
 protected:
  // Probes `spec` and runs the io_context until its one result arrives.
  ProbeResult probeOnce(const ProbeSpec& spec) {
    peers::Results results;
    checker->probe(spec, results.callback());
    EXPECT_TRUE(results.all.empty()) << "done ran inside probe()";
    EXPECT_TRUE(peers::runUntil(io, [&] { return !results.all.empty(); }));
    peers::runFor(io, 20ms);  // a second call would show now
    EXPECT_EQ(results.all.size(), 1u);
    return results.all.empty() ? ProbeResult{} : results.all.front();
  }

  boost::asio::io_context io;
  std::unique_ptr<Checker> checker = makeTcpChecker(io);
};

// A listening port passes: the handshake completing is the whole check, and no detail is built.
TEST_F(TcpCheckerTest, ListeningPortPasses) {
  peers::TcpListener listener;
  const ProbeResult result = probeOnce(tcpSpec(ip("127.0.0.1"), listener.port()));
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.reason, FailureReason::kNone);
  EXPECT_EQ(result.detail, "");
  EXPECT_GT(result.latency, 0ns);
  EXPECT_LT(result.latency, 300ms);
  EXPECT_TRUE(listener.acceptPeer()) << "the probe really connected";
}

// A closed port answers with an RST: connect-refused at once, with the peer in the detail.
TEST_F(TcpCheckerTest, ClosedPortIsRefused) {
  peers::BoundSocket closed(ip("127.0.0.1"), SOCK_STREAM);  // bound, not listening
  const ProbeResult result = probeOnce(tcpSpec(ip("127.0.0.1"), closed.port()));
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.reason, FailureReason::kConnectRefused);
  EXPECT_EQ(result.detail,
            "connect to 127.0.0.1:" + std::to_string(closed.port()) + ": Connection refused");
  EXPECT_LT(result.latency, 300ms);
}

// SYNs that get no answer end at connect_timeout as connect-timeout, not later.
TEST_F(TcpCheckerTest, UnansweredConnectTimesOut) {
  peers::SilentTcpPort silent;
  const ProbeResult result = probeOnce(tcpSpec(ip("127.0.0.1"), silent.port(), 300ms));
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.reason, FailureReason::kConnectTimeout);
  EXPECT_EQ(result.detail,
            "connect to 127.0.0.1:" + std::to_string(silent.port()) + ": no answer within 300 ms");
  EXPECT_GE(result.latency, 300ms);
  EXPECT_LT(result.latency, 800ms);
}

// A shorter timeout started after a longer one still fires on time (the one timer is re-armed).
TEST_F(TcpCheckerTest, ShorterTimeoutStartedLaterFiresFirst) {
  peers::SilentTcpPort silent;
  peers::Results slow;
  peers::Results fast;
  checker->probe(tcpSpec(ip("127.0.0.1"), silent.port(), 600ms), slow.callback());
  checker->probe(tcpSpec(ip("127.0.0.1"), silent.port(), 150ms), fast.callback());
  ASSERT_TRUE(peers::runUntil(io, [&] { return !fast.all.empty(); }));
  EXPECT_TRUE(slow.all.empty());
  EXPECT_GE(fast.all[0].latency, 150ms);
  EXPECT_LT(fast.all[0].latency, 450ms);
  ASSERT_TRUE(peers::runUntil(io, [&] { return !slow.all.empty(); }));
  EXPECT_EQ(slow.all[0].reason, FailureReason::kConnectTimeout);
  EXPECT_GE(slow.all[0].latency, 600ms);
}

// bindto and bind_port set the source the real sees.
TEST_F(TcpCheckerTest, BindtoAndBindPortSetTheSource) {
  peers::TcpListener listener;
  uint16_t freePort = 0;
  {
    peers::BoundSocket reserve(ip("127.0.0.2"), SOCK_STREAM);
    freePort = reserve.port();
  }
  ProbeSpec spec = tcpSpec(ip("127.0.0.1"), listener.port());
  spec.bindTo = ip("127.0.0.2");
  spec.bindPort = freePort;
  EXPECT_TRUE(probeOnce(spec).ok);
  const auto peer = listener.acceptPeer();
  ASSERT_TRUE(peer);
  EXPECT_EQ(peer->first, ip("127.0.0.2"));
  EXPECT_EQ(peer->second, freePort);
}

// bindto alone picks the source address and leaves the port to the kernel.
TEST_F(TcpCheckerTest, BindtoWithoutPortSetsTheSourceAddress) {
  peers::TcpListener listener;
  ProbeSpec spec = tcpSpec(ip("127.0.0.1"), listener.port());
  spec.bindTo = ip("127.0.0.2");
  EXPECT_TRUE(probeOnce(spec).ok);
  const auto peer = listener.acceptPeer();
  ASSERT_TRUE(peer);
  EXPECT_EQ(peer->first, ip("127.0.0.2"));
  EXPECT_NE(peer->second, 0);
}

// A bindto that is not ours is our failure (local-error), reported from the io_context.
TEST_F(TcpCheckerTest, UnavailableBindtoIsLocalError) {
  ProbeSpec spec = tcpSpec(ip("127.0.0.1"), 9);
  spec.bindTo = ip("192.0.2.1");  // TEST-NET-1: never assigned here
  const ProbeResult result = probeOnce(spec);
  EXPECT_EQ(result.reason, FailureReason::kLocalError);
  EXPECT_EQ(result.detail, "bind to 192.0.2.1 port 0: Cannot assign requested address");
}

// A bindto of the other family is refused with an explanation, not an errno riddle.
TEST_F(TcpCheckerTest, BindtoOfOtherFamilyIsLocalError) {
  ProbeSpec spec = tcpSpec(ip("127.0.0.1"), 9);
  spec.bindTo = ip("::1");
  const ProbeResult result = probeOnce(spec);
  EXPECT_EQ(result.reason, FailureReason::kLocalError);
  EXPECT_EQ(result.detail, "bindto ::1 is not of the address family of 127.0.0.1");
}

// IPv6 works both ways: a listener on ::1 passes and a closed port on ::1 is refused.
TEST_F(TcpCheckerTest, Ipv6LoopbackPassesAndRefuses) {
  peers::TcpListener listener(ip("::1"));
  EXPECT_TRUE(probeOnce(tcpSpec(ip("::1"), listener.port())).ok);
  peers::BoundSocket closed(ip("::1"), SOCK_STREAM);
  const ProbeResult refused = probeOnce(tcpSpec(ip("::1"), closed.port()));
  EXPECT_EQ(refused.reason, FailureReason::kConnectRefused);
  EXPECT_EQ(refused.detail,
            "connect to [::1]:" + std::to_string(closed.port()) + ": Connection refused");
}

// 1000 probes in flight at once, half passing and half refused: each `done` runs exactly once
// with its own verdict; afterwards at most 256 sockets stay open for reuse, and none once the
// checker is gone.
TEST_F(TcpCheckerTest, ThousandParallelProbesEachCompleteOnce) {
  peers::TcpListener listener;
  peers::BoundSocket closed(ip("127.0.0.1"), SOCK_STREAM);
  checker.reset();
  const size_t descriptorsBefore = peers::openDescriptors();
  checker = makeTcpChecker(io);
  constexpr size_t kProbes = 1000;
  std::vector<int> calls(kProbes, 0);
  std::vector<bool> ok(kProbes, false);
  size_t finished = 0;
  for (size_t i = 0; i < kProbes; ++i) {
    const uint16_t port = i % 2 == 0 ? listener.port() : closed.port();
    checker->probe(tcpSpec(ip("127.0.0.1"), port, 2000ms), [&, i](ProbeResult result) {
      ++calls[i];
      ok[i] = result.ok;
      ++finished;
    });
  }
  ASSERT_TRUE(peers::runUntil(
      io, [&] { return finished >= kProbes; }, 5s));
  peers::runFor(io, 20ms);
  for (size_t i = 0; i < kProbes; ++i) {
    EXPECT_EQ(calls[i], 1) << "probe " << i;
    EXPECT_EQ(ok[i], i % 2 == 0) << "probe " << i;
  }
  EXPECT_LE(peers::openDescriptors(), descriptorsBefore + 1 + 256) << "epoll + idle sockets";
  checker.reset();
  EXPECT_EQ(peers::openDescriptors(), descriptorsBefore);
}

// One socket serves sequential probes across outcomes (pass, refused, timeout, pass again), and
// each verdict is its own: exactly one idle socket stays open between probes.
TEST_F(TcpCheckerTest, ReusedSocketGivesEachProbeItsOwnVerdict) {
  peers::TcpListener listener;
  peers::BoundSocket closed(ip("127.0.0.1"), SOCK_STREAM);
  peers::SilentTcpPort silent;
  const size_t descriptorsBefore = peers::openDescriptors();
  for (int round = 0; round < 3; ++round) {
    EXPECT_TRUE(probeOnce(tcpSpec(ip("127.0.0.1"), listener.port())).ok);
    EXPECT_EQ(probeOnce(tcpSpec(ip("127.0.0.1"), closed.port())).reason,
              FailureReason::kConnectRefused);
    EXPECT_EQ(probeOnce(tcpSpec(ip("127.0.0.1"), silent.port(), 100ms)).reason,
              FailureReason::kConnectTimeout);
  }
  EXPECT_EQ(peers::openDescriptors(), descriptorsBefore + 1);
}

// The real sees its connection reset, not closed (no FIN exchange, no TIME_WAIT on either side),
// whether the socket is disconnected for reuse (first and second probe: fresh, then reused) or
// closed (bindto sockets are never reused; SO_LINGER 0 makes close() reset).
TEST_F(TcpCheckerTest, ConnectionIsResetNotClosed) {
  peers::TcpListener listener;
  ProbeSpec bound = tcpSpec(ip("127.0.0.1"), listener.port());
  bound.bindTo = ip("127.0.0.2");
  const std::vector<ProbeSpec> specs = {tcpSpec(ip("127.0.0.1"), listener.port()),
                                        tcpSpec(ip("127.0.0.1"), listener.port()), bound};
  for (size_t i = 0; i < specs.size(); ++i) {
    EXPECT_TRUE(probeOnce(specs[i]).ok);
    pollfd readable{listener.fd(), POLLIN, 0};
    ASSERT_EQ(::poll(&readable, 1, 1000), 1);
    const int connection = ::accept4(listener.fd(), nullptr, nullptr, SOCK_CLOEXEC);
    ASSERT_GE(connection, 0);
    char byte;
    EXPECT_EQ(::recv(connection, &byte, 1, MSG_DONTWAIT), -1) << "probe " << i << " sent a FIN";
    EXPECT_EQ(errno, ECONNRESET) << "probe " << i;
    ::close(connection);
  }
}

// A `done` may start the next probe (as the tracker does): a chain of probes runs to its end.
TEST_F(TcpCheckerTest, DoneCanStartTheNextProbe) {
  peers::TcpListener listener;
  int remaining = 5;
  std::function<void(ProbeResult)> next = [&](ProbeResult result) {
    EXPECT_TRUE(result.ok);
    if (--remaining > 0) checker->probe(tcpSpec(ip("127.0.0.1"), listener.port()), next);
  };
  checker->probe(tcpSpec(ip("127.0.0.1"), listener.port()), next);
  EXPECT_TRUE(peers::runUntil(io, [&] { return remaining == 0; }));
}

// Destroying the checker with probes in flight (connecting, timing out, failed at once) runs no
// callback and closes every socket.
TEST_F(TcpCheckerTest, DestroyedCheckerDropsCallbacksAndClosesSockets) {
  peers::TcpListener listener;
  peers::SilentTcpPort silent;
  checker.reset();
  const size_t descriptorsBefore = peers::openDescriptors();
  checker = makeTcpChecker(io);
  int calls = 0;
  auto count = [&](ProbeResult) { ++calls; };
  for (int i = 0; i < 50; ++i)
    checker->probe(tcpSpec(ip("127.0.0.1"), silent.port(), 200ms), count);
  for (int i = 0; i < 50; ++i) checker->probe(tcpSpec(ip("127.0.0.1"), listener.port()), count);
  ProbeSpec failsAtOnce = tcpSpec(ip("127.0.0.1"), 9);
  failsAtOnce.bindTo = ip("192.0.2.1");
  checker->probe(failsAtOnce, count);
  EXPECT_GT(peers::openDescriptors(), descriptorsBefore);
  checker.reset();
  EXPECT_EQ(peers::openDescriptors(), descriptorsBefore);
  peers::runFor(io, 400ms);
  EXPECT_EQ(calls, 0);
}

// A `done` that destroys the checker ends the batch it runs in: no other callback, no crash.
TEST_F(TcpCheckerTest, DoneMayDestroyTheChecker) {
  peers::TcpListener listener;
  int calls = 0;
  for (int i = 0; i < 20; ++i) {
    checker->probe(tcpSpec(ip("127.0.0.1"), listener.port()), [&](ProbeResult) {
      ++calls;
      checker.reset();
    });
  }
  EXPECT_TRUE(peers::runUntil(io, [&] { return calls > 0; }));
  peers::runFor(io, 100ms);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace ha::healthcheck
