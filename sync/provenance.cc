#include "sync/provenance.h"

#include <unordered_set>

namespace ha::sync {

std::optional<PeerId> Provenance::teacher(const FlowKey& key) const {
  auto it = teachers_.find(key);
  if (it == teachers_.end()) return std::nullopt;
  return it->second;
}

void Provenance::teach(const FlowKey& key, PeerId peer) {
  auto [it, inserted] = teachers_.try_emplace(key, peer);
  if (!inserted) {
    if (it->second == peer) return;
    --counts_.at(it->second);
    it->second = peer;
  }
  ++counts_.at(peer);
}

std::optional<PeerId> Provenance::forget(const FlowKey& key) {
  auto it = teachers_.find(key);
  if (it == teachers_.end()) return std::nullopt;
  const PeerId peer = it->second;
  --counts_.at(peer);
  teachers_.erase(it);
  return peer;
}

size_t Provenance::retain(const std::vector<FlowEntry>& table) {
  if (teachers_.empty()) return 0;
  std::unordered_set<FlowKey, FlowKeyHash> present;
  present.reserve(table.size());
  for (const FlowEntry& e : table) present.insert(e.key());
  return std::erase_if(teachers_, [&](const auto& taught) {
    if (present.count(taught.first) != 0) return false;
    --counts_.at(taught.second);
    return true;
  });
}

Verdict judge(std::optional<PeerId> teacher, PeerId from, FlowOp op, bool roomForNew) {
  const bool remove = op == FlowOp::kRemove;
  if (teacher) {
    if (*teacher != from) return Verdict{Rejection::kOwnedByOtherPeer};
    return Verdict{std::nullopt, remove ? FlowOp::kRemove : FlowOp::kUpsert};
  }
  if (remove) return Verdict{Rejection::kNotTaught};
  if (!roomForNew) return Verdict{Rejection::kQuota};
  return Verdict{std::nullopt, FlowOp::kCreate};
}

}  // namespace ha::sync
