#pragma once
// What `directorctl sync` shows; a value copied off the sync thread. Header-only (target
// ha_sync_status), so directorctl formats it without linking the sync module.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sync/rejection.h"
#include "sync/transport_stats.h"

namespace ha::sync {

struct PeerSnapshot {
  std::string name;
  std::string address;  // "198.51.100.3:7800"
  bool outgoingUp = false;  // our stream to it
  bool incomingUp = false;  // its stream to us
  // Our stream to the peer.
  uint64_t sent = 0;        // flow updates written (bulk + incremental)
  uint64_t acked = 0;       // of those, acknowledged as applied
  uint64_t coalesced = 0;   // updates merged into a queued one for the same flow
  uint64_t dropped = 0;     // updates dropped at the queue bound (a bulk follows)
  uint64_t queueDepth = 0;  // flows waiting, not yet written
  uint64_t inFlight = 0;    // written, not yet acknowledged
  uint64_t bulksSent = 0;
  std::optional<double> lastBulkSentMs;
  std::optional<double> lagLastMs;  // local event -> peer's ack (incremental only)
  std::optional<double> lagP50Ms;   // over the last 4096 acknowledged batches
  std::optional<double> lagP99Ms;
  uint64_t dials = 0;  // attempts, failed or not
  std::string lastError;  // why the stream last went down or a dial failed; cleared when up
  // Its stream to us.
  uint64_t received = 0;  // flow updates received
  uint64_t applied = 0;   // created + updated + removed in our kernel
  uint64_t rejected = 0;  // refused by admit(), the trust rules or the kernel
  std::array<uint64_t, kRejectionCount> rejectedBy{};
  uint64_t clamped = 0;  // timeouts lowered to this node's own conntrack timeouts
  uint64_t taught = 0;   // copies it taught us that we hold now (at most peer_quota)
  uint64_t malformed = 0;
  uint64_t resets = 0;  // its stream ended by us for garbage
  uint64_t bulksReceived = 0;
  bool bulkComplete = false;  // a whole bulk from it arrived since we started
  std::optional<double> lastBulkReceivedMs;
};

struct SyncSnapshot {
  bool enabled = false;
  bool ready = false;
  std::string node;
  std::string listen;
  uint64_t events = 0;      // conntrack events of our flows read
  uint64_t overruns = 0;    // ENOBUFS from the event socket; each one re-dumps
  uint64_t localFlows = 0;  // entries in the last dump
  uint64_t kernelFailures = 0;
  uint64_t provenanceReconciled = 0;  // taught copies found gone at an overrun's re-dump
  TransportStats transport;
  std::vector<PeerSnapshot> peers;
};

}  // namespace ha::sync
