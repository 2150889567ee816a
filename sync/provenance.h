#pragma once
// The trust rules for peers' flows (sync/README.md, "Trust"), and the record they rest on: which
// peer taught us each copy we hold. A peer creates, updates and removes only the copies it taught
// us; a flow this node holds that nobody taught it is its own and no peer changes it. Pure.
#include <cstddef>
#include <optional>
#include <unordered_map>
#include <vector>

#include "sync/catalog.h"
#include "sync/flow.h"
#include "sync/transport.h"

namespace ha::sync {

// FlowKey -> the peer whose stream created the entry in our kernel. Only entries the kernel
// accepted are recorded, each peer's at most `quota` (the engine refuses creates past it), so the
// map is bounded by peers × quota.
class Provenance {
 public:
  Provenance(size_t peers, size_t quota) : counts_(peers, 0), quota_(quota) {}

  std::optional<PeerId> teacher(const FlowKey& key) const;
  size_t taughtBy(PeerId peer) const { return counts_.at(peer); }
  // Whether `peer` may teach us `pending` more flows.
  bool hasRoom(PeerId peer, size_t pending) const { return counts_.at(peer) + pending < quota_; }
  size_t size() const { return teachers_.size(); }
  size_t quota() const { return quota_; }

  // `peer`'s write created the entry (or re-created its own copy).
  void teach(const FlowKey& key, PeerId peer);
  // The copy is gone or became ours; its teacher, if it had one.
  std::optional<PeerId> forget(const FlowKey& key);
  // Keeps only keys that are in `table` (a dump of ours); how many were dropped.
  size_t retain(const std::vector<FlowEntry>& table);
  template <typename F>
  void forEach(F&& f) const {
    for (const auto& [key, peer] : teachers_) f(key, peer);
  }

 private:
  std::unordered_map<FlowKey, PeerId, FlowKeyHash> teachers_;
  std::vector<size_t> counts_;
  size_t quota_;
};

// What an update from peer `from` may do here, given who taught us the flow.
struct Verdict {
  std::optional<Rejection> refused;
  FlowOp write = FlowOp::kUpsert;  // the write to make when not refused
};
//   taught by `from`:   its upsert updates (or re-creates) the copy, its remove deletes it;
//   taught by another:  refused (kOwnedByOtherPeer);
//   taught by nobody:   an upsert may only create (kCreate: if our kernel holds the flow, it is
//                       ours and stays untouched), within the quota (kQuota); a remove is refused
//                       (kNotTaught; the receiver counts it only if the flow is here at all).
Verdict judge(std::optional<PeerId> teacher, PeerId from, FlowOp op, bool roomForNew);

}  // namespace ha::sync
