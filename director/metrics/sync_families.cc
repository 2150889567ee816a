// Connection sync: the node's totals and, per peer, both streams.
#include <string>

#include "director/metrics/families.h"

namespace ha::director::metrics {
namespace {

void addPeer(const sync::PeerSnapshot& peer, FamilySet& out) {
  const Labels labels = {{"peer", peer.name}};
  out.add(kSyncPeerUp, with(labels, "direction", "outgoing"), peer.outgoingUp ? 1.0 : 0.0);
  out.add(kSyncPeerUp, with(labels, "direction", "incoming"), peer.incomingUp ? 1.0 : 0.0);
  out.add(kSyncSent, labels, peer.sent);
  out.add(kSyncAcked, labels, peer.acked);
  out.add(kSyncQueueDepth, labels, peer.queueDepth);
  out.add(kSyncInFlight, labels, peer.inFlight);
  out.add(kSyncQueueDropped, labels, peer.dropped);
  // No batch acknowledged yet: no lag sample, rather than a lag of 0.
  if (peer.lagP50Ms) out.add(kSyncLagP50, labels, *peer.lagP50Ms / 1000.0);
  if (peer.lagP99Ms) out.add(kSyncLagP99, labels, *peer.lagP99Ms / 1000.0);
  out.add(kSyncBulks, with(labels, "direction", "sent"), peer.bulksSent);
  out.add(kSyncBulks, with(labels, "direction", "received"), peer.bulksReceived);
  if (peer.lastBulkSentMs)
    out.add(kSyncBulkDuration, with(labels, "direction", "sent"), *peer.lastBulkSentMs / 1000.0);
  if (peer.lastBulkReceivedMs) {
    out.add(kSyncBulkDuration, with(labels, "direction", "received"),
            *peer.lastBulkReceivedMs / 1000.0);
  }
  out.add(kSyncReceived, labels, peer.received);
  out.add(kSyncApplied, labels, peer.applied);
  for (size_t reason = 0; reason < sync::kRejectionCount; ++reason) {
    out.add(kSyncRejected,
            with(labels, "reason",
                 std::string(sync::rejectionName(static_cast<sync::Rejection>(reason)))),
            peer.rejectedBy[reason]);
  }
  out.add(kSyncTaught, labels, peer.taught);
}

}  // namespace

void addSync(const sync::SyncSnapshot& snapshot, FamilySet& out) {
  if (!snapshot.enabled) return;  // no connection_sync block: no sync families
  out.add(kSyncReady, {}, snapshot.ready ? 1.0 : 0.0);
  out.add(kSyncEvents, {}, snapshot.events);
  out.add(kSyncOverruns, {}, snapshot.overruns);
  out.add(kSyncLocalFlows, {}, snapshot.localFlows);
  const sync::TransportStats& t = snapshot.transport;
  out.add(kSyncRefusedStreams, {{"reason", "refused"}}, t.refusedStreams);
  out.add(kSyncRefusedStreams, {{"reason", "hello-timeout"}}, t.helloTimeouts);
  out.add(kSyncRefusedStreams, {{"reason", "over-cap"}}, t.overCapStreams);
  out.add(kSyncRefusedStreams, {{"reason", "reset"}}, t.resetStreams);
  for (const sync::PeerSnapshot& peer : snapshot.peers) addPeer(peer, out);
}

}  // namespace ha::director::metrics
