#include "sync/engine.h"

#include <chrono>
#include <utility>

#include "common/log.h"

namespace ha::sync {
namespace {

constexpr unsigned kBadBatchesBeforeReset = 8;

// IPVS syncs a connection once it is worth keeping; an unanswered first packet is not (a SYN
// flood would otherwise be copied to every peer). Destroys always go.
bool worthSyncing(const FlowUpdate& u) {
  return u.op == FlowOp::kRemove || (u.entry.status & kIpsSeenReply) != 0;
}

// A closed TCP flow (TIME_WAIT, CLOSE) is over; a peer's copy of it is harmful. A copy lacks the
// FIN/RST flags the owner's conntrack saw, so a new SYN from the same client port reaching that
// peer does not reopen the entry (nf_conntrack_proto_tcp: reopen needs CLOSE_INIT or the RST) and
// is sent along the old flow's NAT binding. So the close travels as a remove.
constexpr uint8_t kTcpConntrackTimeWait = 7;  // TCP_CONNTRACK_TIME_WAIT
constexpr uint8_t kTcpConntrackClose = 8;     // TCP_CONNTRACK_CLOSE
bool closedTcp(const FlowEntry& e) {
  return e.l4proto == kProtoTcp &&
         (e.tcpState == kTcpConntrackTimeWait || e.tcpState == kTcpConntrackClose);
}

}  // namespace

Engine::Engine(SyncConfig config, ConntrackPort& conntrack, const TimeSource& clock,
               ReadinessListener onReadiness)
    : config_(std::move(config)), conntrack_(conntrack), clock_(clock),
      onReadiness_(std::move(onReadiness)) {
  OutboxLimits limits;
  limits.queueLimit = config_.queueLimit;
  peers_.reserve(config_.peers.size());
  for (size_t i = 0; i < config_.peers.size(); ++i) peers_.emplace_back(limits);
}

void Engine::readLocal(std::vector<FlowUpdate>& out, bool& overrun) {
  auto read = conntrack_.readEvents(out);
  if (!read) {
    ++kernelFailures_;
    log::warning("sync: reading conntrack events: " + read.error());
    return;
  }
  overrun = overrun || read->overrun;
}

bool Engine::drainLocalEvents() {
  scratch_.clear();
  bool overrun = false;
  readLocal(scratch_, overrun);
  events_ += scratch_.size();
  enqueueLocal(scratch_);
  return overrun;
}

void Engine::onLocalEvents() {
  if (drainLocalEvents()) {
    // The kernel dropped events: re-read the whole table so peers converge. Lost destroys are
    // left to the peers' own timeouts.
    ++overruns_;
    auto dump = conntrack_.dump();
    if (dump) {
      localFlows_ = dump->size();
      // Copies learned from peers are theirs to report; re-sending them would only echo.
      const TimePoint now = clock_.now();
      for (const FlowEntry& e : *dump) {
        const FlowUpdate u{FlowOp::kUpsert, e};
        if (learned_.count(e.key()) != 0 || closedTcp(e) || !worthSyncing(u)) continue;
        for (Peer& p : peers_) p.outbox.push(u, now);
      }
    } else {
      ++kernelFailures_;
      log::warning("sync: conntrack dump after an event overrun: " + dump.error());
    }
  }
  pumpAll();
}

void Engine::enqueueLocal(const std::vector<FlowUpdate>& updates) {
  const TimePoint now = clock_.now();
  for (const FlowUpdate& event : updates) {
    const FlowUpdate u =
        event.op == FlowOp::kUpsert && closedTcp(event.entry) ? FlowUpdate{FlowOp::kRemove, event.entry} : event;
    const FlowKey key = u.entry.key();
    if (u.op == FlowOp::kRemove) {
      if (learned_.erase(key) != 0) continue;  // a peer's copy went away here; the peer's lives on
    } else {
      learned_.erase(key);  // local traffic touched it: ours now
    }
    if (!worthSyncing(u)) continue;
    for (Peer& p : peers_) p.outbox.push(u, now);
  }
}

void Engine::startBulk(PeerId id) {
  Peer& peer = peers_[id];
  // Events already queued in the socket are older than the dump: take them first (an overrun
  // needs nothing more: the dump below is the re-read).
  (void)drainLocalEvents();
  auto dump = conntrack_.dump();
  if (!dump) {
    ++kernelFailures_;
    peer.lastError = "conntrack dump: " + dump.error();
    log::warning("sync: bulk for " + config_.peers[id].name + ": " + peer.lastError);
    return;
  }
  localFlows_ = dump->size();
  std::erase_if(*dump, [](const FlowEntry& e) { return closedTcp(e) || (e.status & kIpsSeenReply) == 0; });
  peer.outbox.beginBulk(std::move(*dump), clock_.now());
}

void Engine::pump(PeerId id) {
  Peer& peer = peers_[id];
  if (transport_ == nullptr || !peer.outgoingUp) return;
  if (peer.outbox.needsResync() && !peer.outbox.bulkInProgress()) startBulk(id);
  while (auto message = peer.outbox.next()) {
    if (!transport_->send(id, std::move(*message))) break;
  }
}

void Engine::pumpAll() {
  for (PeerId id = 0; id < peers_.size(); ++id) pump(id);
}

void Engine::onOutgoingUp(PeerId id) {
  Peer& peer = peers_[id];
  peer.outgoingUp = true;
  ++peer.dials;
  peer.lastError.clear();
  peer.outbox.beginSession();
  startBulk(id);
  log::info("sync: stream to " + config_.peers[id].name + " up, bulk of " +
            std::to_string(peer.outbox.queueDepth()) + " flows");
  pump(id);
}

void Engine::onOutgoingDown(PeerId id, const std::string& why) {
  Peer& peer = peers_[id];
  if (peer.outgoingUp) {
    log::warning("sync: stream to " + config_.peers[id].name + " down: " + why);
  } else {
    ++peer.dials;  // a dial that failed
  }
  peer.outgoingUp = false;
  peer.dialFailed = true;
  peer.lastError = why;
  peer.outbox.endSession();
  updateReadiness();
}

void Engine::onAck(PeerId id, const Ack& ack) {
  peers_[id].outbox.onAck(ack, clock_.now());
  pump(id);
}

void Engine::onIncomingUp(PeerId id) {
  Peer& peer = peers_[id];
  peer.in.up = true;
  peer.in.bulkActive = false;
  log::info("sync: " + config_.peers[id].name + " connected to us");
  // It is back (perhaps restarted with an empty table): do not wait out our dial backoff.
  if (!peer.outgoingUp && transport_ != nullptr) transport_->redialNow(id);
}

void Engine::onIncomingDown(PeerId id, const std::string& why) {
  Inbound& in = peers_[id].in;
  in.up = false;
  in.bulkActive = false;  // a bulk cut short never counts; the next one starts over
  log::info("sync: " + config_.peers[id].name + "'s stream to us ended: " + why);
  updateReadiness();
}

void Engine::onIncoming(PeerId id, PeerMessage message) {
  Inbound& in = peers_[id].in;
  const TimePoint now = clock_.now();
  uint64_t seq = 0;
  uint64_t rejected = 0;
  if (auto* begin = std::get_if<BulkBegin>(&message)) {
    seq = begin->seq;
    in.bulkActive = true;
    in.bulkStarted = now;
    in.bulkUpserts = 0;
  } else if (auto* batch = std::get_if<FlowBatch>(&message)) {
    seq = batch->seq;
    const uint64_t before = in.rejected;
    applyBatch(id, *batch);
    rejected = in.rejected - before;
  } else if (auto* end = std::get_if<BulkEnd>(&message)) {
    seq = end->seq;
    if (in.bulkActive && in.bulkUpserts == end->entries) {
      in.bulkComplete = true;
      ++in.bulksReceived;
      in.lastBulkMs = millisecondsBetween(in.bulkStarted, now);
      log::info("sync: bulk from " + config_.peers[id].name + " complete: " +
                std::to_string(end->entries) + " flows in " +
                std::to_string(static_cast<int>(*in.lastBulkMs)) + " ms");
    } else {
      log::warning("sync: bulk from " + config_.peers[id].name + " incomplete (" +
                   std::to_string(in.bulkUpserts) + " of " + std::to_string(end->entries) +
                   " flows seen); waiting for the next one");
    }
    in.bulkActive = false;
    updateReadiness();
  } else {
    onMalformed(id, "unexpected message on a peer's stream");
    return;
  }
  if (transport_ != nullptr) transport_->ack(id, Ack{seq, rejected});
}

void Engine::applyBatch(PeerId id, FlowBatch& batch) {
  Inbound& in = peers_[id].in;
  in.received += batch.updates.size();
  std::vector<FlowUpdate> admitted;
  admitted.reserve(batch.updates.size());
  uint64_t refused = 0;
  uint64_t invalid = 0;  // out of range, as opposed to unknown here (a config difference)
  for (FlowUpdate& u : batch.updates) {
    if (auto why = admit(catalog_, u.op, u.entry)) {
      ++in.rejectedBy[static_cast<size_t>(*why)];
      ++refused;
      if (*why == Rejection::kBadTuple || *why == Rejection::kBadState) ++invalid;
      continue;
    }
    admitted.push_back(u);
  }
  if (batch.bulk && in.bulkActive) in.bulkUpserts += batch.updates.size();
  if (!admitted.empty()) {
    const ApplyReport report = conntrack_.apply(admitted);
    in.applied += report.created + report.updated + report.removed;
    refused += report.failed;
    kernelFailures_ += report.failed;
    if (report.failed != 0) {
      log::warning("sync: " + std::to_string(report.failed) + " flows from " +
                   config_.peers[id].name + " refused by the kernel: " + report.firstError);
    }
    for (const FlowUpdate& u : admitted) {
      if (u.op == FlowOp::kUpsert) {
        learned_.insert(u.entry.key());
      } else {
        learned_.erase(u.entry.key());
      }
    }
  }
  in.rejected += refused;
  // Entries for services we lack are an operator's config difference: refused and counted, but
  // resetting would only bring the same bulk again. Entries no director could have sent are not.
  noteBadBatch(id, !batch.updates.empty() && invalid * 2 > batch.updates.size());
}

void Engine::onMalformed(PeerId id, const std::string& why) {
  ++peers_[id].in.malformed;
  log::warning("sync: malformed message from " + config_.peers[id].name + ": " + why);
  noteBadBatch(id, true);
}

void Engine::noteBadBatch(PeerId id, bool bad) {
  Inbound& in = peers_[id].in;
  in.badStreak = bad ? in.badStreak + 1 : 0;
  if (in.badStreak < kBadBatchesBeforeReset || transport_ == nullptr) return;
  in.badStreak = 0;
  ++in.resets;
  log::warning("sync: resetting " + config_.peers[id].name +
               "'s stream: it keeps sending malformed or out-of-range flows");
  transport_->resetIncoming(id, "too many refused or malformed messages");
}

void Engine::updateReadiness() {
  if (ready_) return;
  for (const Peer& p : peers_) {
    // Settled: its bulk arrived, or it is unreachable and not talking to us (nothing to wait for).
    const bool settled = p.in.bulkComplete || (p.dialFailed && !p.in.up);
    if (!settled) return;
  }
  ready_ = true;
  log::info("sync: ready (bulk sync from every live peer complete)");
  if (onReadiness_) onReadiness_(true);
}

void Engine::onReadyTimeout() {
  if (ready_) return;
  ready_ = true;
  log::warning("sync: ready timeout: no longer waiting for bulk sync before preempting");
  if (onReadiness_) onReadiness_(true);
}

SyncSnapshot Engine::snapshot() const {
  SyncSnapshot s;
  s.enabled = true;
  s.ready = ready_;
  s.node = config_.nodeName;
  s.listen = formatEndpoint(config_.listenAddress, config_.listenPort);
  s.events = events_;
  s.overruns = overruns_;
  s.localFlows = localFlows_;
  s.kernelFailures = kernelFailures_;
  for (size_t i = 0; i < peers_.size(); ++i) {
    const Peer& p = peers_[i];
    const OutboxStats& o = p.outbox.stats();
    PeerSnapshot ps;
    ps.name = config_.peers[i].name;
    ps.address = formatEndpoint(config_.peers[i].address, config_.peers[i].port);
    ps.outgoingUp = p.outgoingUp;
    ps.incomingUp = p.in.up;
    ps.sent = o.sent;
    ps.acked = o.acked;
    ps.coalesced = o.coalesced;
    ps.dropped = o.dropped;
    ps.queueDepth = p.outbox.queueDepth();
    ps.inFlight = p.outbox.inFlightFlows();
    ps.bulksSent = o.bulksSent;
    ps.lastBulkSentMs = o.lastBulkMs;
    ps.lagLastMs = o.lagLastMs;
    ps.lagP50Ms = percentile(p.outbox.lagSamples(), 50);
    ps.lagP99Ms = percentile(p.outbox.lagSamples(), 99);
    ps.dials = p.dials;
    ps.lastError = p.lastError;
    ps.received = p.in.received;
    ps.applied = p.in.applied;
    ps.rejected = p.in.rejected;
    ps.rejectedBy = p.in.rejectedBy;
    ps.malformed = p.in.malformed;
    ps.resets = p.in.resets;
    ps.bulksReceived = p.in.bulksReceived;
    ps.bulkComplete = p.in.bulkComplete;
    ps.lastBulkReceivedMs = p.in.lastBulkMs;
    s.peers.push_back(std::move(ps));
  }
  return s;
}

}  // namespace ha::sync
