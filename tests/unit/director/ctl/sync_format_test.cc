#include "director/ctl/sync_format.h"

#include <gtest/gtest.h>

namespace ha::director {
namespace {

sync::SyncSnapshot snapshot() {
  sync::SyncSnapshot s;
  s.enabled = true;
  s.ready = true;
  s.node = "dir1";
  s.listen = "198.51.100.2:7800";
  s.events = 1523;
  s.localFlows = 1000;
  sync::PeerSnapshot p;
  p.name = "dir2";
  p.address = "198.51.100.3:7800";
  p.outgoingUp = true;
  p.incomingUp = true;
  p.sent = 1000;
  p.acked = 1000;
  p.coalesced = 12;
  p.bulksSent = 1;
  p.lastBulkSentMs = 41.25;
  p.lagLastMs = 0.5;
  p.lagP50Ms = 0.8;
  p.lagP99Ms = 2.1;
  p.dials = 1;
  p.received = 1002;
  p.applied = 1000;
  p.rejected = 2;
  p.rejectedBy[static_cast<size_t>(sync::Rejection::kUnknownReal)] = 2;
  p.taught = 1000;
  p.bulksReceived = 1;
  p.bulkComplete = true;
  p.lastBulkReceivedMs = 38.0;
  s.peers.push_back(p);
  return s;
}

// The header line says node, listen address and readiness; each peer gets a table row for our
// stream to it, then a line per direction with every rejection reason in catalog order.
TEST(SyncFormat, ShowsReadyNodeWithPeer) {
  EXPECT_EQ(formatSync(snapshot()),
            "Connection sync: node dir1, listening 198.51.100.2:7800, ready\n"
            "  events 1523 (overruns 0), local flows 1000, kernel failures 0, taught copies "
            "pruned 0\n"
            "  incoming streams refused 0, hello timeouts 0, over cap 0, reset 0\n"
            "Peer  Address            Out  In         Sent      Acked    Queue InFlight "
            "Coalesced  Dropped Lag p50/p99 ms  Bulk ms\n"
            "dir2  198.51.100.3:7800  up   up         1000       1000        0        0 "
            "       12        0        0.8/2.1     41.2\n"
            "  out: bulks 1, dials 1, lag last 0.5 ms\n"
            "  in: received 1002, applied 1000, rejected 2 (bad-tuple 0, bad-state 0, "
            "unknown-service 0, unknown-real 2, unknown-local-address 0, owned-locally 0, "
            "owned-by-other-peer 0, not-taught 0, quota 0), clamped 0, taught 1000, malformed 0, "
            "resets 0, bulks 1 (complete, last 38.0 ms)\n");
}

// A peer never reached shows down streams, "-" for every measurement it never made, and the
// last dial error; the node is waiting.
TEST(SyncFormat, ShowsUnreachablePeerWithDashes) {
  auto s = snapshot();
  s.ready = false;
  sync::PeerSnapshot p;
  p.name = "dir3";
  p.address = "[2001:db8::4]:7800";
  p.dials = 4;
  p.lastError = "connect: connection refused";
  s.peers = {p};
  EXPECT_EQ(formatSync(s),
            "Connection sync: node dir1, listening 198.51.100.2:7800, waiting for peers' bulks\n"
            "  events 1523 (overruns 0), local flows 1000, kernel failures 0, taught copies "
            "pruned 0\n"
            "  incoming streams refused 0, hello timeouts 0, over cap 0, reset 0\n"
            "Peer  Address             Out  In         Sent      Acked    Queue InFlight "
            "Coalesced  Dropped Lag p50/p99 ms  Bulk ms\n"
            "dir3  [2001:db8::4]:7800  down down          0          0        0        0 "
            "        0        0              -        -\n"
            "  out: bulks 0, dials 4, lag last - ms, last error: connect: connection refused\n"
            "  in: received 0, applied 0, rejected 0 (bad-tuple 0, bad-state 0, "
            "unknown-service 0, unknown-real 0, unknown-local-address 0, owned-locally 0, "
            "owned-by-other-peer 0, not-taught 0, quota 0), clamped 0, taught 0, malformed 0, "
            "resets 0, bulks 0\n");
}

// What a hostile peer and stray streams cost shows: refusals by trust rule, clamps, the copies
// each peer taught us, and the streams ended before any peer could be named.
TEST(SyncFormat, ShowsTrustRefusalsAndStreamLimits) {
  auto s = snapshot();
  s.provenanceReconciled = 3;
  s.transport = {4, 1, 2, 5};
  auto& p = s.peers[0];
  p.rejected = 2 + 1000 + 1000 + 1301;
  p.rejectedBy[static_cast<size_t>(sync::Rejection::kOwnedLocally)] = 1000;
  p.rejectedBy[static_cast<size_t>(sync::Rejection::kNotTaught)] = 1000;
  p.rejectedBy[static_cast<size_t>(sync::Rejection::kQuota)] = 1301;
  p.clamped = 200;
  p.taught = 200;
  const std::string text = formatSync(s);
  EXPECT_NE(text.find("  events 1523 (overruns 0), local flows 1000, kernel failures 0, taught "
                      "copies pruned 3\n"
                      "  incoming streams refused 4, hello timeouts 1, over cap 2, reset 5\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("rejected 3303 (bad-tuple 0, bad-state 0, unknown-service 0, unknown-real 2, "
                      "unknown-local-address 0, owned-locally 1000, owned-by-other-peer 0, "
                      "not-taught 1000, quota 1301), clamped 200, taught 200, "),
            std::string::npos)
      << text;
}

// Without a connection_sync block the command says so in one line.
TEST(SyncFormat, SaysWhenDisabled) {
  EXPECT_EQ(formatSync(sync::SyncSnapshot{}), "Connection sync: disabled\n");
}

}  // namespace
}  // namespace ha::director
