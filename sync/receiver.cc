#include "sync/receiver.h"

#include <utility>

#include "common/log.h"

namespace ha::sync {
namespace {

constexpr size_t kKernelSlot = kRejectionCount;

// Why a reason refuses, for the log line.
std::string explain(size_t slot, size_t quota) {
  switch (static_cast<Rejection>(slot)) {
    case Rejection::kBadTuple:
    case Rejection::kBadState: return "out of range";
    case Rejection::kUnknownService:
    case Rejection::kUnknownReal:
    case Rejection::kUnknownLocalAddress: return "not configured here (a config difference)";
    case Rejection::kOwnedLocally: return "this node's own flows: no peer changes them";
    case Rejection::kOwnedByOtherPeer: return "copies another peer taught us";
    case Rejection::kNotTaught: return "removes of flows it did not teach us";
    case Rejection::kQuota: return "past its peer_quota of " + std::to_string(quota) + " flows";
  }
  return "?";
}

}  // namespace

Receiver::Receiver(std::vector<std::string> peerNames, size_t quota, ConntrackPort& conntrack,
                   const TimeSource& clock)
    : names_(std::move(peerNames)),
      conntrack_(conntrack),
      clock_(clock),
      provenance_(names_.size(), quota),
      peers_(names_.size()) {}

Receiver::BatchResult Receiver::apply(PeerId from, std::vector<FlowUpdate>& updates) {
  InboundCounts& counts = peers_.at(from).counts;
  counts.received += updates.size();
  BatchResult result;
  for (FlowUpdate& u : updates) {
    if (auto why = admit(catalog_, u.op, u.entry)) {
      if (*why == Rejection::kBadTuple || *why == Rejection::kBadState) ++result.invalid;
      refuse(from, *why, u, result);
      continue;
    }
    const FlowKey key = u.entry.key();
    if (chunkKeys_.count(key) != 0) flush(from, result);
    // Creates gathered but not yet written count against the quota; many of them may turn out to
    // be flows of ours (kExists), which teach nothing. At the bound, write them and count again, so
    // only copies the kernel holds refuse a peer's new flow.
    if (!provenance_.hasRoom(from, chunkCreates_) && chunkCreates_ != 0) flush(from, result);
    const Verdict verdict =
        judge(provenance_.teacher(key), from, u.op, provenance_.hasRoom(from, chunkCreates_));
    if (verdict.refused == Rejection::kNotTaught) {
      // Refused either way; but a remove of a flow we do not hold is only a peer's short flow
      // whose create and remove were coalesced before they were sent: not counted as a refusal.
      chunkLookups_.push_back(u);
      chunkKeys_.insert(key);
      continue;
    }
    if (verdict.refused) {
      refuse(from, *verdict.refused, u, result);
      continue;
    }
    u.op = verdict.write;
    const uint32_t asked = u.entry.timeoutSeconds;
    const bool clamped = u.op != FlowOp::kRemove && clampTimeout(limits_, u.entry);
    if (u.op == FlowOp::kCreate) ++chunkCreates_;
    chunk_.push_back(u);
    chunkClamped_.push_back(clamped);
    chunkAsked_.push_back(asked);
    chunkKeys_.insert(key);
  }
  flush(from, result);
  logRefusals(from);
  return result;
}

void Receiver::flush(PeerId from, BatchResult& result) {
  if (!chunkLookups_.empty()) {
    std::vector<FlowEntry> entries;
    entries.reserve(chunkLookups_.size());
    for (const FlowUpdate& u : chunkLookups_) entries.push_back(u.entry);
    const std::vector<bool> held = conntrack_.present(entries);
    for (size_t i = 0; i < chunkLookups_.size(); ++i) {
      if (i >= held.size() || held[i]) {
        refuse(from, Rejection::kNotTaught, chunkLookups_[i], result);
      }
    }
    chunkLookups_.clear();
  }
  if (chunk_.empty()) {
    chunkKeys_.clear();
    return;
  }
  InboundCounts& counts = peers_.at(from).counts;
  const ApplyReport report = conntrack_.apply(chunk_);
  for (size_t i = 0; i < chunk_.size(); ++i) {
    const FlowEntry& entry = chunk_[i].entry;
    const ApplyOutcome outcome =
        i < report.outcomes.size() ? report.outcomes[i] : ApplyOutcome::kFailed;
    switch (outcome) {
      case ApplyOutcome::kCreated:
        provenance_.teach(entry.key(), from);
        ++counts.applied;
        counts.clamped += chunkClamped_[i] ? 1 : 0;
        break;
      case ApplyOutcome::kUpdated:
        ++counts.applied;
        counts.clamped += chunkClamped_[i] ? 1 : 0;
        break;
      case ApplyOutcome::kRemoved:
        provenance_.forget(entry.key());
        ++counts.applied;
        break;
      case ApplyOutcome::kMissing: provenance_.forget(entry.key()); break;
      case ApplyOutcome::kExists: {
        FlowUpdate asked = chunk_[i];  // logged as the peer sent it
        asked.entry.timeoutSeconds = chunkAsked_[i];
        refuse(from, Rejection::kOwnedLocally, asked, result);
        break;
      }
      case ApplyOutcome::kFailed:
        ++counts.rejected;
        ++counts.kernelFailures;
        ++result.refused;
        noteForLog(from, kKernelSlot,
                   report.firstError.empty() ? describe(entry) : report.firstError);
        break;
    }
  }
  chunk_.clear();
  chunkClamped_.clear();
  chunkAsked_.clear();
  chunkKeys_.clear();
  chunkCreates_ = 0;
}

void Receiver::refuse(PeerId from, Rejection why, const FlowUpdate& update, BatchResult& result) {
  InboundCounts& counts = peers_.at(from).counts;
  ++counts.rejectedBy[static_cast<size_t>(why)];
  ++counts.rejected;
  ++result.refused;
  std::string example = describe(update.entry);
  if (update.op == FlowOp::kRemove) {  // a remove carries only its original tuple
    example = "remove of " + example.substr(0, example.find(" | reply"));
  }
  noteForLog(from, static_cast<size_t>(why), example);
}

void Receiver::noteForLog(PeerId from, size_t slot, const std::string& example) {
  PendingLog& log = peers_.at(from).logs.at(slot);
  if (log.count++ == 0) log.example = example;
}

void Receiver::logRefusals(PeerId from) {
  const TimePoint now = clock_.now();
  for (size_t slot = 0; slot < peers_.at(from).logs.size(); ++slot) {
    PendingLog& log = peers_.at(from).logs[slot];
    if (log.count == 0 || (log.everLogged && now - log.lastLogged < kRefusalLogInterval)) continue;
    const std::string reason = slot == kKernelSlot
                                   ? std::string("refused by the kernel")
                                   : std::string(rejectionName(static_cast<Rejection>(slot))) +
                                         ": " + explain(slot, provenance_.quota());
    if (log.everLogged) {
      log::warning("sync: refused " + std::to_string(log.count) + " more flow update(s) from " +
                   names_.at(from) + " since the last report (" + reason + "), e.g. " +
                   log.example);
    } else {
      log::warning("sync: refused " + std::to_string(log.count) + " flow update(s) from " +
                   names_.at(from) + " (" + reason + "), e.g. " + log.example +
                   "; counted in `directorctl sync`, logged at most every " +
                   std::to_string(kRefusalLogInterval.count()) + " s");
    }
    log.count = 0;
    log.everLogged = true;
    log.lastLogged = now;
  }
}

}  // namespace ha::sync
