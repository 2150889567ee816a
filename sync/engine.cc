#include "sync/engine.h"

#include <chrono>
#include <unordered_map>
#include <utility>

#include "common/log.h"

namespace ha::sync {
namespace {

constexpr unsigned kBadBatchesBeforeReset = 8;

// IPVS syncs a connection once it is worth keeping; an unanswered first packet is not (a SYN
// flood would otherwise be copied to every peer). Nor is its destroy: no peer has the flow, and
// destroy events carry the entry's status, so a flow that never saw a reply is never sent.
bool worthSyncing(const FlowUpdate& u) { return (u.entry.status & kIpsSeenReply) != 0; }

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

std::vector<std::string> peerNames(const SyncConfig& config) {
  std::vector<std::string> names;
  for (const PeerConfig& p : config.peers) names.push_back(p.name);
  return names;
}

}  // namespace

Engine::Engine(SyncConfig config, ConntrackPort& conntrack, const TimeSource& clock,
               ReadinessListener onReadiness)
    : config_(std::move(config)),
      conntrack_(conntrack),
      clock_(clock),
      onReadiness_(std::move(onReadiness)),
      receiver_(peerNames(config_), config_.peerQuota, conntrack, clock) {
  OutboxLimits limits;
  limits.queueLimit = config_.queueLimit;
  peers_.reserve(config_.peers.size());
  for (size_t i = 0; i < config_.peers.size(); ++i) peers_.emplace_back(limits);
  receiver_.setTimeoutLimits(conntrack_.timeoutLimits());
}

void Engine::setCatalog(ServiceCatalog catalog) {
  receiver_.setCatalog(std::move(catalog));
  receiver_.setTimeoutLimits(conntrack_.timeoutLimits());
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

void Engine::onLocalEvents() { catchUpLocal(); }

void Engine::catchUpLocal() {
  if (drainLocalEvents()) {
    // The kernel dropped events: re-read the whole table so peers converge. Lost destroys are
    // left to the peers' own timeouts.
    ++overruns_;
    auto dump = conntrack_.dump();
    if (dump) {
      localFlows_ = dump->size();
      // Destroys of taught copies may be among the lost events: forget what is gone.
      provenanceReconciled_ += receiver_.provenance().retain(*dump);
      // Copies taught by peers are theirs to report; re-sending them would only echo (and a third
      // director would take them as ours).
      const TimePoint now = clock_.now();
      for (const FlowEntry& e : *dump) {
        const FlowUpdate u{FlowOp::kUpsert, e};
        if (receiver_.provenance().teacher(e.key()) || closedTcp(e) || !worthSyncing(u)) continue;
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
    const FlowUpdate u = event.op == FlowOp::kUpsert && closedTcp(event.entry)
                             ? FlowUpdate{FlowOp::kRemove, event.entry}
                             : event;
    // A taught copy that goes away here is not reported: its teacher's flow lives on. Any other
    // event on it means local packets touched it (our own writes raise none): ours now.
    const bool wasTaught = receiver_.provenance().forget(u.entry.key()).has_value();
    if (event.op == FlowOp::kRemove && wasTaught) continue;
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
  // Our own flows only: a copy a peer taught us is its teacher's to send.
  std::erase_if(*dump, [this](const FlowEntry& e) {
    return closedTcp(e) || (e.status & kIpsSeenReply) == 0 ||
           receiver_.provenance().teacher(e.key()).has_value();
  });
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
    // Provenance must be current before it judges the batch: a copy that expired, or that local
    // packets took over, while the batch was on its way.
    catchUpLocal();
    rejected = applyBatch(id, *batch);
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

uint64_t Engine::applyBatch(PeerId id, FlowBatch& batch) {
  Inbound& in = peers_[id].in;
  const size_t flows = batch.updates.size();
  if (batch.bulk && in.bulkActive) in.bulkUpserts += flows;
  const Receiver::BatchResult result = receiver_.apply(id, batch.updates);
  // Entries for services we lack are an operator's config difference, and entries the trust rules
  // refuse are counted: resetting would only bring the same bulk again. Entries no director could
  // have sent are not.
  noteBadBatch(id, flows != 0 && result.invalid * 2 > flows);
  return result.refused;
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

Engine::TaughtCopies Engine::taughtCopies() {
  (void)drainLocalEvents();  // copies that went away or became ours meanwhile
  TaughtCopies copies;
  copies.reserve(receiver_.provenance().size());
  receiver_.provenance().forEach([&](const FlowKey& key, PeerId peer) {
    copies.emplace_back(key, config_.peers[peer].name);
  });
  return copies;
}

void Engine::adoptTaughtCopies(const TaughtCopies& copies) {
  if (copies.empty()) return;
  std::unordered_map<std::string, PeerId> ids;
  for (PeerId id = 0; id < config_.peers.size(); ++id) ids.emplace(config_.peers[id].name, id);
  for (const auto& [key, name] : copies) {
    if (auto it = ids.find(name); it != ids.end()) receiver_.provenance().teach(key, it->second);
  }
  // Copies that went away between the two engines are forgotten; events from now on are ours.
  auto dump = conntrack_.dump();
  if (dump) {
    receiver_.provenance().retain(*dump);
  } else {
    ++kernelFailures_;
    log::warning("sync: conntrack dump after a reconfigure: " + dump.error());
  }
  log::info("sync: " + std::to_string(receiver_.provenance().size()) + " of " +
            std::to_string(copies.size()) + " peers' copies carried over the reconfigure");
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
  s.kernelFailures = kernelFailures_;  // plus each peer's writes, below
  s.provenanceReconciled = provenanceReconciled_;
  if (transport_ != nullptr) s.transport = transport_->stats();
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
    const InboundCounts& c = receiver_.counts(i);
    ps.received = c.received;
    ps.applied = c.applied;
    ps.rejected = c.rejected;
    ps.rejectedBy = c.rejectedBy;
    ps.clamped = c.clamped;
    ps.taught = receiver_.provenance().taughtBy(i);
    s.kernelFailures += c.kernelFailures;
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
