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

Result<std::vector<conntrack::FlowEntry>> FakeFlowTable::flows() {
  constexpr uint8_t kTcpSynRecv = 2;  // enum tcp_conntrack
  std::vector<conntrack::FlowEntry> entries;
  for (size_t i = 0; i < flows_.size(); ++i) {
    const Flow& flow = flows_[i];
    conntrack::FlowEntry e;
    e.l4proto = flow.owner.l4proto;
    e.original.src = *IpAddress::parse("203.0.113.1");
    e.original.srcPort = static_cast<uint16_t>(40000 + i);
    e.reply.src = flow.owner.real.address;
    e.reply.srcPort = flow.owner.real.port;
    e.reply.dst = e.original.src;
    e.reply.dstPort = e.original.srcPort;
    if (e.l4proto == conntrack::kProtoTcp) {
      e.tcpState = flow.established ? kTcpConntrackEstablished : kTcpSynRecv;
    } else if (flow.established) {
      e.status = kIpsSeenReply;
    }
    e.timeoutSeconds = 120;
    e.mark = serviceMark(flow.owner.serviceId);
    entries.push_back(e);
  }
  return entries;
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
