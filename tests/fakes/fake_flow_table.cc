#include "tests/fakes/fake_flow_table.h"

#include <algorithm>
#include <utility>

namespace ha::director::test {

Result<ConnCountMap> FakeFlowTable::count() {
  ConnCountMap counts;
  for (const auto& flow : flows_) {
    auto& c = counts[{flow.owner.serviceId, flow.owner.real}];
    ++(flow.established ? c.active : c.inactive);
  }
  return counts;
}

Result<uint64_t> FakeFlowTable::deleteFlows(const std::vector<FlowOwner>& owners) {
  deleteCalls_.push_back(owners);
  if (!failNext_.empty()) {
    std::string message = std::move(failNext_);
    failNext_.clear();
    return Error{std::move(message)};
  }
  const auto doomed = [&](const Flow& flow) {
    return std::find(owners.begin(), owners.end(), flow.owner) != owners.end();
  };
  const auto before = flows_.size();
  flows_.erase(std::remove_if(flows_.begin(), flows_.end(), doomed), flows_.end());
  return static_cast<uint64_t>(before - flows_.size());
}

size_t FakeFlowTable::flowsOf(const FlowOwner& owner) const {
  return static_cast<size_t>(std::count_if(flows_.begin(), flows_.end(),
                                           [&](const Flow& flow) { return flow.owner == owner; }));
}

}  // namespace ha::director::test
