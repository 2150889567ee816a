#pragma once
// Our stream to one peer, as a pure queue (no sockets, no clock): a bulk snapshot first, then the
// incremental updates of our flows coalesced per flow (the newest state wins), sequence numbers,
// a window of unacknowledged messages, and a bound past which updates are dropped and counted —
// the engine then sends a fresh bulk, so a drop costs time, never a flow.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "sync/flow.h"
#include "sync/wire.h"

namespace ha::sync {

struct OutboxLimits {
  size_t queueLimit = 262144;  // distinct flows waiting
  size_t batchFlows = 1024;    // flows per message
  size_t window = 8;           // messages written and not yet acknowledged
};

struct OutboxStats {
  uint64_t sent = 0;  // flow updates written
  uint64_t acked = 0;
  uint64_t coalesced = 0;
  uint64_t dropped = 0;
  uint64_t bulksSent = 0;
  std::optional<double> lastBulkMs;  // BulkBegin written -> BulkEnd acknowledged
  std::optional<double> lagLastMs;
};

class Outbox {
 public:
  explicit Outbox(OutboxLimits limits) : limits_(limits) {}

  // The stream came up: whatever was queued or in flight is void (the bulk carries it).
  void beginSession();
  void endSession();
  bool inSession() const { return inSession_; }
  // Queues a snapshot to go out as BulkBegin, bulk batches, BulkEnd; incremental updates queued
  // meanwhile follow it. Clears the resync flag.
  void beginBulk(std::vector<FlowEntry> snapshot, TimePoint now);
  bool bulkInProgress() const { return bulkQueued_ || bulkEndInFlight_; }
  // An update of one of our flows, seen at `now`. Ignored outside a session (the next bulk has it).
  void push(const FlowUpdate& update, TimePoint now);
  // The next message to write, if the window has room.
  std::optional<PeerMessage> next();
  void onAck(const Ack& ack, TimePoint now);
  // Updates were dropped at the bound: the engine should send a fresh bulk.
  bool needsResync() const { return needsResync_; }

  const OutboxStats& stats() const { return stats_; }
  size_t queueDepth() const { return order_.size() + (bulk_.size() - bulkCursor_); }
  size_t inFlightFlows() const;
  // Lag samples (ms) of the last acknowledged incremental batches, oldest first overwritten.
  const std::vector<double>& lagSamples() const { return lag_; }

 private:
  struct Pending {
    FlowUpdate update;
    TimePoint firstSeen;
  };
  struct InFlight {
    uint64_t seq = 0;
    size_t flows = 0;
    std::optional<TimePoint> oldestEvent;  // incremental batches only
    bool bulkEnd = false;
  };
  void recordLag(double ms);

  OutboxLimits limits_;
  bool inSession_ = false;
  uint64_t nextSeq_ = 1;
  std::unordered_map<FlowKey, Pending, FlowKeyHash> pending_;
  std::deque<FlowKey> order_;
  std::vector<FlowEntry> bulk_;
  size_t bulkCursor_ = 0;
  bool bulkQueued_ = false;      // BulkBegin/batches/BulkEnd still to write
  bool bulkBeginSent_ = false;
  bool bulkEndInFlight_ = false;
  TimePoint bulkStarted_{};
  std::deque<InFlight> inFlight_;
  bool needsResync_ = false;
  OutboxStats stats_;
  std::vector<double> lag_;
  size_t lagNext_ = 0;
};

// Percentile (0..100) of samples; nullopt when empty.
std::optional<double> percentile(std::vector<double> samples, double pct);

}  // namespace ha::sync
