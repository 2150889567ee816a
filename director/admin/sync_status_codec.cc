// Connection-sync status <-> admin.proto (the other half of admin_codec.h). Both directions:
// directorctl formats the model, so `directorctl sync` and the snapshot cannot drift apart.
#include <optional>
#include <string>

#include "director/admin/admin_codec.h"

namespace ha::director {
namespace {

namespace pb = directord::admin;

template <typename Set>
void setOptional(const std::optional<double>& value, Set set) {
  if (value) set(*value);
}

std::optional<double> optional(bool has, double value) {
  return has ? std::optional<double>(value) : std::nullopt;
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

sync::PeerSnapshot fromPeer(const pb::SyncPeer& p) {
  sync::PeerSnapshot out;
  out.name = p.name();
  out.address = p.address();
  out.outgoingUp = p.outgoing_up();
  out.incomingUp = p.incoming_up();
  out.sent = p.sent();
  out.acked = p.acked();
  out.coalesced = p.coalesced();
  out.dropped = p.dropped();
  out.queueDepth = p.queue_depth();
  out.inFlight = p.in_flight();
  out.bulksSent = p.bulks_sent();
  out.lastBulkSentMs = optional(p.has_last_bulk_sent_ms(), p.last_bulk_sent_ms());
  out.lagLastMs = optional(p.has_lag_last_ms(), p.lag_last_ms());
  out.lagP50Ms = optional(p.has_lag_p50_ms(), p.lag_p50_ms());
  out.lagP99Ms = optional(p.has_lag_p99_ms(), p.lag_p99_ms());
  out.dials = p.dials();
  out.lastError = p.last_error();
  out.received = p.received();
  out.applied = p.applied();
  out.rejected = p.rejected();
  for (size_t r = 0; r < sync::kRejectionCount; ++r) {
    auto it =
        p.rejected_by().find(std::string(sync::rejectionName(static_cast<sync::Rejection>(r))));
    if (it != p.rejected_by().end()) out.rejectedBy[r] = it->second;
  }
  out.malformed = p.malformed();
  out.resets = p.resets();
  out.bulksReceived = p.bulks_received();
  out.bulkComplete = p.bulk_complete();
  out.lastBulkReceivedMs = optional(p.has_last_bulk_received_ms(), p.last_bulk_received_ms());
  out.clamped = p.clamped();
  out.taught = p.taught();
  return out;
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

sync::SyncSnapshot fromSyncReply(const pb::SyncReply& reply) {
  sync::SyncSnapshot out;
  out.enabled = reply.enabled();
  out.ready = reply.ready();
  out.node = reply.node();
  out.listen = reply.listen();
  out.events = reply.events();
  out.overruns = reply.overruns();
  out.localFlows = reply.local_flows();
  out.kernelFailures = reply.kernel_failures();
  out.provenanceReconciled = reply.provenance_reconciled();
  out.transport.refusedStreams = reply.streams_refused();
  out.transport.helloTimeouts = reply.hello_timeouts();
  out.transport.overCapStreams = reply.streams_over_cap();
  out.transport.resetStreams = reply.streams_reset();
  for (const auto& p : reply.peers()) out.peers.push_back(fromPeer(p));
  return out;
}

}  // namespace ha::director
