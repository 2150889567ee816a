#pragma once
// Peers' flows into our kernel (the engine's receiving half, on the sync thread): each update is
// admitted against our catalog (catalog.h), judged by the trust rules (provenance.h: who taught
// us the flow, the peer's quota), its timeout clamped to ours (common/conntrack/timeout_limits.h),
// then written in one batch; the kernel's answer per update decides what is recorded as taught.
// Every refusal is counted by reason and logged, at most one line per peer and reason every
// kRefusalLogInterval.
#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "common/clock.h"
#include "sync/catalog.h"
#include "sync/flow.h"
#include "sync/provenance.h"

namespace ha::sync {

inline constexpr std::chrono::seconds kRefusalLogInterval{10};

struct InboundCounts {
  uint64_t received = 0;  // flow updates
  uint64_t applied = 0;   // created + updated + removed in our kernel
  uint64_t rejected = 0;  // refused: by reason below, or by the kernel
  std::array<uint64_t, kRejectionCount> rejectedBy{};
  uint64_t kernelFailures = 0;
  uint64_t clamped = 0;  // entries written with their timeout lowered to ours
};

class Receiver {
 public:
  // `peerNames` index by PeerId (for log lines); each peer may teach us at most `quota` flows.
  Receiver(std::vector<std::string> peerNames, size_t quota, ConntrackPort& conntrack,
           const TimeSource& clock);

  void setCatalog(ServiceCatalog catalog) { catalog_ = std::move(catalog); }
  void setTimeoutLimits(const TimeoutLimits& limits) { limits_ = limits; }
  const TimeoutLimits& timeoutLimits() const { return limits_; }

  struct BatchResult {
    uint64_t refused = 0;  // for the Ack
    uint64_t invalid = 0;  // out of range (bad tuple or state), as opposed to not ours to take
  };
  // Writes what may be written of `updates` (a peer's batch, in order) to our kernel.
  BatchResult apply(PeerId from, std::vector<FlowUpdate>& updates);

  const InboundCounts& counts(PeerId peer) const { return peers_.at(peer).counts; }
  Provenance& provenance() { return provenance_; }
  const Provenance& provenance() const { return provenance_; }

 private:
  struct PendingLog {
    uint64_t count = 0;  // refusals not yet logged
    std::string example;
    bool everLogged = false;
    TimePoint lastLogged{};
  };
  struct PeerState {
    InboundCounts counts;
    std::array<PendingLog, kRejectionCount + 1> logs;  // the last one: kernel failures
  };
  void flush(PeerId from, BatchResult& result);
  void refuse(PeerId from, Rejection why, const FlowUpdate& update, BatchResult& result);
  void noteForLog(PeerId from, size_t slot, const std::string& example);
  void logRefusals(PeerId from);

  std::vector<std::string> names_;
  ConntrackPort& conntrack_;
  const TimeSource& clock_;
  ServiceCatalog catalog_;
  TimeoutLimits limits_ = kernelDefaultTimeouts();
  Provenance provenance_;
  std::vector<PeerState> peers_;
  // The write being gathered: keys are unique within it, so each update's verdict rests on the
  // outcome of any earlier update of the same flow in the batch.
  std::vector<FlowUpdate> chunk_;
  std::vector<bool> chunkClamped_;  // its timeout was lowered: counted once the kernel took it
  std::vector<uint32_t> chunkAsked_;  // the timeout the peer sent, for log lines
  std::vector<FlowUpdate> chunkLookups_;  // not-taught removes: refused if we hold the flow
  std::unordered_set<FlowKey, FlowKeyHash> chunkKeys_;
  size_t chunkCreates_ = 0;
};

}  // namespace ha::sync
