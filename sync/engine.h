#pragma once
// The sync module's core, on the sync io_context thread: our flows' conntrack events go to every
// peer's Outbox (bulk on connect, then incremental); peers' flows are admitted against our
// catalog and written to our kernel in batches, then acknowledged. Decides readiness for
// track_sync. Every I/O edge is a port (ConntrackPort, Transport, TimeSource), so tests run two
// engines against fakes.
#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "sync/catalog.h"
#include "sync/flow.h"
#include "sync/outbox.h"
#include "sync/receiver.h"
#include "sync/sync_config.h"
#include "sync/sync_snapshot.h"
#include "sync/transport.h"

namespace ha::sync {

class Engine final : public TransportListener {
 public:
  using ReadinessListener = std::function<void(bool ready)>;

  Engine(SyncConfig config, ConntrackPort& conntrack, const TimeSource& clock,
         ReadinessListener onReadiness);
  // The transport is created with this engine as its listener, then attached.
  void attach(Transport& transport) { transport_ = &transport; }
  void detach() { transport_ = nullptr; }

  // Also re-reads this node's conntrack timeouts (the ceiling for peers' entries).
  void setCatalog(ServiceCatalog catalog);
  // The conntrack event socket is readable.
  void onLocalEvents();
  // track_sync stops waiting for bulks that have not come (SyncConfig::readyTimeout).
  void onReadyTimeout();
  bool ready() const { return ready_; }
  SyncSnapshot snapshot() const;

  // Who taught us which copy, by peer name: carried from the engine a reconfigure stops to the one
  // it starts, so a reload does not turn peers' copies into ours. Adopted for peers still
  // configured, then pruned against a dump of our table.
  using TaughtCopies = std::vector<std::pair<FlowKey, std::string>>;
  TaughtCopies taughtCopies();
  void adoptTaughtCopies(const TaughtCopies& copies);

  void onOutgoingUp(PeerId peer) override;
  void onOutgoingDown(PeerId peer, const std::string& why) override;
  void onAck(PeerId peer, const Ack& ack) override;
  void onIncomingUp(PeerId peer) override;
  void onIncomingDown(PeerId peer, const std::string& why) override;
  void onIncoming(PeerId peer, PeerMessage message) override;
  void onMalformed(PeerId peer, const std::string& why) override;

 private:
  struct Inbound {
    bool up = false;
    bool bulkActive = false;
    bool bulkComplete = false;
    TimePoint bulkStarted{};
    uint64_t bulkUpserts = 0;
    uint64_t malformed = 0;
    uint64_t resets = 0;
    uint64_t bulksReceived = 0;
    unsigned badStreak = 0;  // batches in a row that were mostly refused or malformed
    std::optional<double> lastBulkMs;
  };
  struct Peer {
    explicit Peer(OutboxLimits limits) : outbox(limits) {}
    Outbox outbox;
    bool outgoingUp = false;
    bool dialFailed = false;  // a dial failed since we started: the peer may be dead
    uint64_t dials = 0;
    std::string lastError;
    Inbound in;
  };

  void readLocal(std::vector<FlowUpdate>& out, bool& overrun);
  // Reads queued events into the outboxes; true when the kernel reported lost events.
  bool drainLocalEvents();
  // drainLocalEvents(), and on lost events a re-dump; then sends what is queued.
  void catchUpLocal();
  void enqueueLocal(const std::vector<FlowUpdate>& updates);
  void startBulk(PeerId peer);
  void pump(PeerId peer);
  void pumpAll();
  // How many of the batch's flows were refused (for the Ack).
  uint64_t applyBatch(PeerId peer, FlowBatch& batch);
  void noteBadBatch(PeerId peer, bool bad);
  void updateReadiness();

  SyncConfig config_;
  ConntrackPort& conntrack_;
  const TimeSource& clock_;
  ReadinessListener onReadiness_;
  Transport* transport_ = nullptr;
  std::vector<Peer> peers_;
  // Peers' flows into our kernel, and who taught us each copy we hold. A copy no local packet has
  // touched since is its teacher's: when it expires or is deleted here the teacher does not hear
  // of it (its own entry is alive), and bulks leave it out.
  Receiver receiver_;
  bool ready_ = false;
  uint64_t events_ = 0;
  uint64_t overruns_ = 0;
  uint64_t localFlows_ = 0;
  uint64_t kernelFailures_ = 0;  // our own reads and dumps; writes are counted per peer
  uint64_t provenanceReconciled_ = 0;
  std::vector<FlowUpdate> scratch_;
};

}  // namespace ha::sync
