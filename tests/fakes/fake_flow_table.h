#pragma once
// A stateful stand-in for the director's conntrack port (director::ConntrackPort): a table of our
// flows, each owned by a (service, protocol, real), counted the way NetfilterConntrack counts them
// and deleted per owner the way it deletes them. Every deleteFlows() batch is recorded, so tests
// see both what was asked and what went.
#include <cstdint>
#include <string>
#include <vector>

#include "director/conntrack/conntrack_counts.h"

namespace ha::director::test {

class FakeFlowTable final : public ConntrackPort {
 public:
  Result<ConnCountMap> count() override;
  // One entry per flow: client 203.0.113.1:(40000 + its index) to the real, the owner's mark;
  // established flows TCP ESTABLISHED (or UDP seen both ways), the others SYN_RECV (or one-way).
  Result<std::vector<conntrack::FlowEntry>> flows() override;
  Result<uint64_t> deleteFlows(const std::vector<FlowOwner>& owners) override;

  // A flow of `owner`'s service to its real: established (active) or not.
  void add(const FlowOwner& owner, bool established = true) {
    flows_.push_back({owner, established});
  }
  size_t flowsOf(const FlowOwner& owner) const;
  size_t size() const { return flows_.size(); }
  const std::vector<std::vector<FlowOwner>>& deleteCalls() const { return deleteCalls_; }
  // The next deleteFlows() fails with `message` and deletes nothing.
  void failNextDelete(std::string message) { failNext_ = std::move(message); }

 private:
  struct Flow {
    FlowOwner owner;
    bool established = true;
  };
  std::vector<Flow> flows_;
  std::vector<std::vector<FlowOwner>> deleteCalls_;
  std::string failNext_;
};

}  // namespace ha::director::test
