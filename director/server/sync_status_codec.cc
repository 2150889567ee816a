// Connection-sync status -> admin.proto (part of admin_codec.h). The way back is
// director/ctl/sync_reply.cc: directorctl formats the model, so `directorctl sync` and the
// snapshot cannot drift apart.
#include <optional>
#include <string>

#include "director/server/admin_codec.h"

namespace ha::director {
namespace {

namespace pb = directord::admin;

template <typename Set>
void setOptional(const std::optional<double>& value, Set set) {
  if (value) set(*value);
}

void toPeer(const sync::PeerSnapshot& p, pb::SyncPeer* out) {
  out->set_name(p.name);
  out->set_address(p.address);
  out->set_outgoing_up(p.outgoingUp);
  out->set_incoming_up(p.incomingUp);
  out->set_sent(p.sent);
  out->set_acked(p.acked);
  out->set_coalesced(p.coalesced);
  out->set_dropped(p.dropped);
  out->set_queue_depth(p.queueDepth);
  out->set_in_flight(p.inFlight);
  out->set_bulks_sent(p.bulksSent);
  setOptional(p.lastBulkSentMs, [&](double v) { out->set_last_bulk_sent_ms(v); });
  setOptional(p.lagLastMs, [&](double v) { out->set_lag_last_ms(v); });
  setOptional(p.lagP50Ms, [&](double v) { out->set_lag_p50_ms(v); });
  setOptional(p.lagP99Ms, [&](double v) { out->set_lag_p99_ms(v); });
  out->set_dials(p.dials);
  out->set_last_error(p.lastError);
  out->set_received(p.received);
  out->set_applied(p.applied);
  out->set_rejected(p.rejected);
  for (size_t r = 0; r < p.rejectedBy.size(); ++r) {
    if (p.rejectedBy[r] == 0) continue;
    (*out->mutable_rejected_by())[std::string(
        sync::rejectionName(static_cast<sync::Rejection>(r)))] = p.rejectedBy[r];
  }
  out->set_malformed(p.malformed);
  out->set_resets(p.resets);
  out->set_bulks_received(p.bulksReceived);
  out->set_bulk_complete(p.bulkComplete);
  setOptional(p.lastBulkReceivedMs, [&](double v) { out->set_last_bulk_received_ms(v); });
  out->set_clamped(p.clamped);
  out->set_taught(p.taught);
}

}  // namespace

pb::SyncReply toSyncReply(const sync::SyncSnapshot& snapshot) {
  pb::SyncReply reply;
  reply.set_enabled(snapshot.enabled);
  reply.set_ready(snapshot.ready);
  reply.set_node(snapshot.node);
  reply.set_listen(snapshot.listen);
  reply.set_events(snapshot.events);
  reply.set_overruns(snapshot.overruns);
  reply.set_local_flows(snapshot.localFlows);
  reply.set_kernel_failures(snapshot.kernelFailures);
  reply.set_provenance_reconciled(snapshot.provenanceReconciled);
  reply.set_streams_refused(snapshot.transport.refusedStreams);
  reply.set_hello_timeouts(snapshot.transport.helloTimeouts);
  reply.set_streams_over_cap(snapshot.transport.overCapStreams);
  reply.set_streams_reset(snapshot.transport.resetStreams);
  for (const auto& p : snapshot.peers) toPeer(p, reply.add_peers());
  return reply;
}

}  // namespace ha::director
