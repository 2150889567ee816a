#include "director/ctl/sync_reply.h"

#include <optional>
#include <string>

namespace ha::director {
namespace {

namespace pb = directord::admin;

std::optional<double> optional(bool has, double value) {
  return has ? std::optional<double>(value) : std::nullopt;
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
