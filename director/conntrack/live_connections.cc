#include "director/conntrack/live_connections.h"

#include "common/flow_mark.h"
#include "director/conntrack/conntrack_counts.h"

namespace ha::director {

void LiveConnections::follow(const std::set<uint32_t>& serviceIds) {
  followed_ = serviceIds;
  for (auto it = flows_.begin(); it != flows_.end();) {
    it = followed_.count(it->second.serviceId) != 0 ? std::next(it) : flows_.erase(it);
  }
  std::erase_if(loads_, [&](const auto& entry) { return followed_.count(entry.first) == 0; });
  std::erase_if(arrivals_, [&](const auto& entry) { return followed_.count(entry.first) == 0; });
}

void LiveConnections::reset(const std::vector<conntrack::FlowEntry>& flows) {
  flows_.clear();
  loads_.clear();
  arrivals_.clear();  // what arrived while events were lost is in the dump, not countable
  for (const auto& flow : flows) track(flow, false);
}

std::optional<uint32_t> LiveConnections::apply(const conntrack::FlowUpdate& update) {
  if (update.op == conntrack::FlowOp::kRemove) {
    auto it = flows_.find(update.entry.key());
    if (it == flows_.end()) return std::nullopt;
    count(it->second, -1);
    uint32_t id = it->second.serviceId;
    flows_.erase(it);
    return id;
  }
  return track(update.entry, true);
}

std::optional<uint32_t> LiveConnections::track(const conntrack::FlowEntry& flow, bool arrival) {
  if ((flow.mark & kMarkTagMask) != kMarkTag) return std::nullopt;
  if (flow.l4proto != conntrack::kProtoTcp && flow.l4proto != conntrack::kProtoUdp)
    return std::nullopt;
  uint32_t id = serviceIdOfMark(flow.mark);
  if (followed_.count(id) == 0) return std::nullopt;
  auto [it, added] = flows_.try_emplace(flow.key());
  Tracked& t = it->second;
  // An event without the TCP state (a status-only update: the kernel sends protoinfo only when
  // it changed) leaves a known flow as it was.
  bool stateKnown = flow.l4proto != conntrack::kProtoTcp || flow.tcpState != 0;
  if (!added) {
    if (!stateKnown) return std::nullopt;
    bool active = isActiveConnection(flow.l4proto, flow.tcpState, flow.status);
    if (active == t.active) return std::nullopt;
    count(t, -1);
    t.active = active;
    count(t, +1);
    return id;
  }
  t.serviceId = id;
  t.real = Endpoint{flow.reply.src, flow.reply.srcPort};
  t.active = stateKnown && isActiveConnection(flow.l4proto, flow.tcpState, flow.status);
  count(t, +1);
  if (arrival) ++arrivals_[id];
  return id;
}

void LiveConnections::count(const Tracked& t, int delta) {
  RealLoad& load = loads_[t.serviceId][t.real];
  uint32_t& n = t.active ? load.active : load.inactive;
  n = delta > 0 ? n + 1 : (n == 0 ? 0 : n - 1);
  if (load.active == 0 && load.inactive == 0) {
    auto& reals = loads_[t.serviceId];
    reals.erase(t.real);
    if (reals.empty()) loads_.erase(t.serviceId);
  }
}

std::map<Endpoint, RealLoad> LiveConnections::loadOf(uint32_t serviceId) const {
  auto it = loads_.find(serviceId);
  return it == loads_.end() ? std::map<Endpoint, RealLoad>{} : it->second;
}

uint32_t LiveConnections::takeArrivals(uint32_t serviceId) {
  auto it = arrivals_.find(serviceId);
  if (it == arrivals_.end()) return 0;
  uint32_t n = it->second;
  arrivals_.erase(it);
  return n;
}

}  // namespace ha::director
