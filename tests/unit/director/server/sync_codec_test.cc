// sync::SyncSnapshot <-> admin.proto SyncReply.
#include <gtest/gtest.h>

#include "director/ctl/sync_reply.h"
#include "director/server/admin_codec.h"

namespace ha::director {
namespace {

// Every field, each with a distinct value, so a field copied into the wrong one shows.
sync::SyncSnapshot fullSnapshot() {
  sync::SyncSnapshot s;
  s.enabled = true;
  s.ready = true;
  s.node = "dir1";
  s.listen = "[2001:db8::2]:7800";
  s.events = 1;
  s.overruns = 2;
  s.localFlows = 3;
  s.kernelFailures = 4;
  s.provenanceReconciled = 5;
  s.transport = {6, 7, 8, 9};
  sync::PeerSnapshot p;
  p.name = "dir2";
  p.address = "198.51.100.3:7800";
  p.outgoingUp = true;
  p.incomingUp = false;
  p.sent = 10;
  p.acked = 11;
  p.coalesced = 12;
  p.dropped = 13;
  p.queueDepth = 14;
  p.inFlight = 15;
  p.bulksSent = 16;
  p.lastBulkSentMs = 17.5;
  p.lagLastMs = 18.25;
  p.lagP50Ms = 19.125;
  p.lagP99Ms = 20.0625;
  p.dials = 21;
  p.lastError = "tls: certificate name mismatch";
  p.received = 22;
  p.applied = 23;
  p.rejected = 0;
  for (size_t r = 0; r < sync::kRejectionCount; ++r) {
    p.rejectedBy[r] = 100 + r;
    p.rejected += p.rejectedBy[r];
  }
  p.clamped = 33;
  p.taught = 34;
  p.malformed = 29;
  p.resets = 30;
  p.bulksReceived = 31;
  p.bulkComplete = true;
  p.lastBulkReceivedMs = 32.5;
  s.peers.push_back(p);
  sync::PeerSnapshot empty;
  empty.name = "dir3";
  s.peers.push_back(empty);
  return s;
}

void expectSamePeer(const sync::PeerSnapshot& a, const sync::PeerSnapshot& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.address, b.address);
  EXPECT_EQ(a.outgoingUp, b.outgoingUp);
  EXPECT_EQ(a.incomingUp, b.incomingUp);
  EXPECT_EQ(a.sent, b.sent);
  EXPECT_EQ(a.acked, b.acked);
  EXPECT_EQ(a.coalesced, b.coalesced);
  EXPECT_EQ(a.dropped, b.dropped);
  EXPECT_EQ(a.queueDepth, b.queueDepth);
  EXPECT_EQ(a.inFlight, b.inFlight);
  EXPECT_EQ(a.bulksSent, b.bulksSent);
  EXPECT_EQ(a.lastBulkSentMs, b.lastBulkSentMs);
  EXPECT_EQ(a.lagLastMs, b.lagLastMs);
  EXPECT_EQ(a.lagP50Ms, b.lagP50Ms);
  EXPECT_EQ(a.lagP99Ms, b.lagP99Ms);
  EXPECT_EQ(a.dials, b.dials);
  EXPECT_EQ(a.lastError, b.lastError);
  EXPECT_EQ(a.received, b.received);
  EXPECT_EQ(a.applied, b.applied);
  EXPECT_EQ(a.rejected, b.rejected);
  EXPECT_EQ(a.rejectedBy, b.rejectedBy);
  EXPECT_EQ(a.malformed, b.malformed);
  EXPECT_EQ(a.resets, b.resets);
  EXPECT_EQ(a.bulksReceived, b.bulksReceived);
  EXPECT_EQ(a.bulkComplete, b.bulkComplete);
  EXPECT_EQ(a.lastBulkReceivedMs, b.lastBulkReceivedMs);
  EXPECT_EQ(a.clamped, b.clamped);
  EXPECT_EQ(a.taught, b.taught);
}

// Every field survives snapshot -> proto -> snapshot, absent optionals stay absent.
TEST(SyncCodec, RoundTripsEveryField) {
  const auto want = fullSnapshot();
  const auto got = fromSyncReply(toSyncReply(want));
  EXPECT_EQ(got.enabled, want.enabled);
  EXPECT_EQ(got.ready, want.ready);
  EXPECT_EQ(got.node, want.node);
  EXPECT_EQ(got.listen, want.listen);
  EXPECT_EQ(got.events, want.events);
  EXPECT_EQ(got.overruns, want.overruns);
  EXPECT_EQ(got.localFlows, want.localFlows);
  EXPECT_EQ(got.kernelFailures, want.kernelFailures);
  EXPECT_EQ(got.provenanceReconciled, want.provenanceReconciled);
  EXPECT_EQ(got.transport, want.transport);
  ASSERT_EQ(got.peers.size(), 2u);
  expectSamePeer(got.peers[0], want.peers[0]);
  expectSamePeer(got.peers[1], want.peers[1]);
  EXPECT_FALSE(got.peers[1].lagP50Ms);
}

// Rejections travel by name (non-zero ones only); a name this build does not know is skipped.
TEST(SyncCodec, RejectionsByName) {
  auto reply = toSyncReply(fullSnapshot());
  const auto& byName = reply.peers(0).rejected_by();
  ASSERT_EQ(byName.size(), sync::kRejectionCount);
  EXPECT_EQ(byName.at("unknown-service"), 102u);
  EXPECT_EQ(byName.at("owned-locally"), 105u);
  EXPECT_EQ(byName.at("quota"), 108u);
  EXPECT_TRUE(reply.peers(1).rejected_by().empty());
  (*reply.mutable_peers(1)->mutable_rejected_by())["from-the-future"] = 7;
  (*reply.mutable_peers(1)->mutable_rejected_by())["bad-state"] = 3;
  auto back = fromSyncReply(reply);
  sync::PeerSnapshot want;
  want.rejectedBy[static_cast<size_t>(sync::Rejection::kBadState)] = 3;
  EXPECT_EQ(back.peers[1].rejectedBy, want.rejectedBy);
}

}  // namespace
}  // namespace ha::director
