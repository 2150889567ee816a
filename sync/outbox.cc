#include "sync/outbox.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

namespace ha::sync {
namespace {

constexpr size_t kLagSamples = 4096;

}  // namespace

void Outbox::beginSession() {
  endSession();
  inSession_ = true;
}

void Outbox::endSession() {
  inSession_ = false;
  pending_.clear();
  order_.clear();
  bulk_.clear();
  bulkCursor_ = 0;
  bulkQueued_ = bulkBeginSent_ = bulkEndInFlight_ = false;
  inFlight_.clear();
  needsResync_ = false;
}

void Outbox::beginBulk(std::vector<FlowEntry> snapshot, TimePoint now) {
  // Incremental updates already queued are older than the snapshot; it supersedes them.
  pending_.clear();
  order_.clear();
  bulk_ = std::move(snapshot);
  bulkCursor_ = 0;
  bulkQueued_ = true;
  bulkBeginSent_ = false;
  bulkStarted_ = now;
  needsResync_ = false;
}

void Outbox::push(const FlowUpdate& update, TimePoint now) {
  if (!inSession_) return;
  const FlowKey key = update.entry.key();
  auto it = pending_.find(key);
  if (it != pending_.end()) {
    // Newest state wins; the flow keeps its place and first time. An event that did not report
    // the TCP state (0) keeps the one already queued.
    const uint8_t queuedState = it->second.update.entry.tcpState;
    it->second.update = update;
    if (update.op == FlowOp::kUpsert && update.entry.tcpState == 0) {
      it->second.update.entry.tcpState = queuedState;
    }
    ++stats_.coalesced;
    return;
  }
  if (pending_.size() >= limits_.queueLimit) {
    ++stats_.dropped;
    needsResync_ = true;
    return;
  }
  pending_.emplace(key, Pending{update, now});
  order_.push_back(key);
}

std::optional<PeerMessage> Outbox::next() {
  if (!inSession_ || inFlight_.size() >= limits_.window) return std::nullopt;
  const uint64_t seq = nextSeq_;
  if (bulkQueued_) {
    if (!bulkBeginSent_) {
      bulkBeginSent_ = true;
      ++nextSeq_;
      inFlight_.push_back(InFlight{seq, 0, std::nullopt, false});
      return BulkBegin{seq};
    }
    if (bulkCursor_ < bulk_.size()) {
      FlowBatch batch{seq, true, {}};
      const size_t end = std::min(bulk_.size(), bulkCursor_ + limits_.batchFlows);
      batch.updates.reserve(end - bulkCursor_);
      for (; bulkCursor_ < end; ++bulkCursor_) {
        batch.updates.push_back(FlowUpdate{FlowOp::kUpsert, bulk_[bulkCursor_]});
      }
      ++nextSeq_;
      stats_.sent += batch.updates.size();
      inFlight_.push_back(InFlight{seq, batch.updates.size(), std::nullopt, false});
      return batch;
    }
    const uint64_t entries = bulk_.size();
    bulk_.clear();
    bulk_.shrink_to_fit();
    bulkCursor_ = 0;
    bulkQueued_ = false;
    bulkEndInFlight_ = true;
    ++nextSeq_;
    ++stats_.bulksSent;
    inFlight_.push_back(InFlight{seq, 0, std::nullopt, true});
    return BulkEnd{seq, entries};
  }
  if (order_.empty()) return std::nullopt;
  FlowBatch batch{seq, false, {}};
  std::optional<TimePoint> oldest;
  while (!order_.empty() && batch.updates.size() < limits_.batchFlows) {
    auto it = pending_.find(order_.front());
    order_.pop_front();
    if (!oldest || it->second.firstSeen < *oldest) oldest = it->second.firstSeen;
    batch.updates.push_back(std::move(it->second.update));
    pending_.erase(it);
  }
  ++nextSeq_;
  stats_.sent += batch.updates.size();
  inFlight_.push_back(InFlight{seq, batch.updates.size(), oldest, false});
  return batch;
}

void Outbox::onAck(const Ack& ack, TimePoint now) {
  while (!inFlight_.empty() && inFlight_.front().seq <= ack.seq) {
    const InFlight& done = inFlight_.front();
    stats_.acked += done.flows;
    if (done.oldestEvent) recordLag(millisecondsBetween(*done.oldestEvent, now));
    if (done.bulkEnd) {
      bulkEndInFlight_ = false;
      stats_.lastBulkMs = millisecondsBetween(bulkStarted_, now);
    }
    inFlight_.pop_front();
  }
}

size_t Outbox::inFlightFlows() const {
  size_t flows = 0;
  for (const InFlight& f : inFlight_) flows += f.flows;
  return flows;
}

void Outbox::recordLag(double ms) {
  stats_.lagLastMs = ms;
  if (lag_.size() < kLagSamples) {
    lag_.push_back(ms);
  } else {
    lag_[lagNext_] = ms;
    lagNext_ = (lagNext_ + 1) % kLagSamples;
  }
}

std::optional<double> percentile(std::vector<double> samples, double pct) {
  if (samples.empty()) return std::nullopt;
  const double rank = pct / 100.0 * static_cast<double>(samples.size() - 1);
  const auto index = static_cast<size_t>(std::lround(rank));
  std::nth_element(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(index), samples.end());
  return samples[index];
}

}  // namespace ha::sync
