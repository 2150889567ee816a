// The dispatcher: each probe reaches the checker of its kind. Every case uses a peer on which
// the kinds disagree, so a probe sent to the wrong checker gives the wrong verdict.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <memory>

#include "common/child_process.h"
#include "healthcheck/checkers.h"
#include "tests/unit/healthcheck/loopback_peers.h"

namespace ha::healthcheck {
namespace {

using namespace std::chrono_literals;
using peers::ip;

class CheckerSetTest : public ::testing::Test {
 protected:
  // A spec of `kind` aimed at a TCP listener that accepts (in the kernel) but never answers, and
  // whose port has no UDP socket, with a script that fails and a url to get.
  ProbeSpec specFor(CheckKind kind) {
    ProbeSpec spec = peers::spec(kind, ip("127.0.0.1"), listener.port(), 300ms);
    spec.miscPath = "/bin/false";
    spec.miscTimeout = 2000ms;
    spec.urls = {UrlCheck{}};  // GET /
    return spec;
  }

  ProbeResult probeOnce(const ProbeSpec& spec) {
    peers::Results results;
    checker->probe(spec, results.callback());
    EXPECT_TRUE(peers::runUntil(io, [&] { return !results.all.empty(); }));
    peers::runFor(io, 20ms);
    EXPECT_EQ(results.all.size(), 1u);
    return results.all.empty() ? ProbeResult{} : results.all.front();
  }

  peers::TcpListener listener;
  boost::asio::io_context io;
  std::unique_ptr<Checker> checker = makeCheckerSet(io, makeChildProcessRunner);
};

// TCP_CHECK only connects: the listener passes it.
TEST_F(CheckerSetTest, TcpKindConnects) { EXPECT_TRUE(probeOnce(specFor(CheckKind::kTcp)).ok); }

// MISC_CHECK runs misc_path and ignores the address: `false` fails it.
TEST_F(CheckerSetTest, MiscKindRunsTheScript) {
  EXPECT_EQ(probeOnce(specFor(CheckKind::kMisc)).reason, FailureReason::kScriptFailed);
}

// UDP_CHECK sends a datagram: no UDP socket on that port, so ICMP refuses it.
TEST_F(CheckerSetTest, UdpKindSendsADatagram) {
  EXPECT_EQ(probeOnce(specFor(CheckKind::kUdp)).reason, FailureReason::kConnectRefused);
}

// HTTP_GET and SSL_GET wait for a response (or a handshake) that never comes: both fail where
// TCP_CHECK passes.
TEST_F(CheckerSetTest, HttpKindsWaitForAResponse) {
  for (CheckKind kind : {CheckKind::kHttp, CheckKind::kHttps}) {
    const ProbeResult result = probeOnce(specFor(kind));
    EXPECT_FALSE(result.ok) << checkKindName(kind);
    EXPECT_EQ(result.reason, FailureReason::kTimeout)
        << checkKindName(kind) << ": " << result.detail;
  }
}

}  // namespace
}  // namespace ha::healthcheck
