#include "director/node/counters.h"

#include <cstring>

#include "director/nft/render.h"

namespace ha::director {
namespace {

uint32_t hostU32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

RealSnapshot* findReal(ServiceSnapshot& s, const Endpoint& e) {
  for (auto& r : s.reals) {
    if (r.real.endpoint == e) return &r;
  }
  return nullptr;
}

TrafficCounters countersOf(const RealTraffic& t) {
  return TrafficCounters{t.conns, t.inPackets, t.outPackets, t.inBytes, t.outBytes};
}

uint64_t minus(uint64_t now, uint64_t base) { return now > base ? now - base : 0; }

TrafficCounters minus(const TrafficCounters& now, const TrafficCounters& base) {
  return TrafficCounters{minus(now.conns, base.conns), minus(now.inPackets, base.inPackets),
                         minus(now.outPackets, base.outPackets), minus(now.inBytes, base.inBytes),
                         minus(now.outBytes, base.outBytes)};
}

void sumReals(ServiceSnapshot& s) {
  s.counters = {};
  s.sinceStart = {};
  for (const auto& r : s.reals) {
    s.counters += r.counters;
    s.sinceStart += r.sinceStart;
  }
}

}  // namespace

DirectorSnapshot makeSnapshot(const ForwardingPlan& plan, const KernelCounters& kc) {
  DirectorSnapshot snap;
  snap.hashSeed = plan.hashSeed;
  std::map<uint32_t, size_t> index;
  for (const auto& [id, sp] : plan.services) {
    ServiceSnapshot s;
    s.plan = sp;
    s.plan.slots.clear();
    if (sp.laddrGroupId) s.laddrGroup = plan.laddrGroups.at(*sp.laddrGroupId).name;
    for (const auto& r : sp.reals)
      s.reals.push_back(RealSnapshot{r, {}, {}, {}, 0, 0, std::nullopt, {}, false});
    index[id] = snap.services.size();
    snap.services.push_back(std::move(s));
  }
  auto real = [&](uint32_t id, const Endpoint& e) -> RealSnapshot* {
    auto it = index.find(id);
    return it == index.end() ? nullptr : findReal(snap.services[it->second], e);
  };

  for (const auto& [key, traffic] : kc.traffic) {
    if (auto* r = real(key.serviceId, key.real)) r->sinceStart += countersOf(traffic);
  }
  for (const auto& e : kc.drStats) {  // l4proto . vip . vport . slot
    if (e.key.size() != 16) continue;
    uint32_t slot = hostU32(e.key.data() + 12);
    for (const auto& [id, sp] : plan.services) {
      if (sp.mode != ForwardMode::kDr || slot >= sp.slots.size()) continue;
      for (const auto& member : selectorAddresses(sp)) {  // a DR group: one copy per member
        if (nft::drBackendKey(member, slot) != e.key) continue;
        if (auto* r = real(id, sp.slots[slot])) {
          r->sinceStart.inPackets += e.packets;  // DR replies bypass the director
          r->sinceStart.inBytes += e.bytes;
        }
      }
    }
  }
  for (const auto& [key, counts] : kc.connections) {
    if (auto* r = real(key.serviceId, key.real)) {
      r->activeConns += counts.active;
      r->inactiveConns += counts.inactive;
    }
  }
  for (auto& s : snap.services) {
    for (auto& r : s.reals) r.counters = r.sinceStart;
    sumReals(s);
  }
  return snap;
}

void CounterBaselines::zero(const DirectorSnapshot& raw, const std::optional<ServiceKey>& service) {
  for (const auto& s : raw.services) {
    if (service && s.plan.key != *service) continue;
    for (const auto& r : s.reals) baselines_[{s.plan.key, r.real.endpoint}] = r.sinceStart;
  }
}

void CounterBaselines::apply(DirectorSnapshot& snapshot) const {
  for (auto& s : snapshot.services) {
    for (auto& r : s.reals) {
      auto it = baselines_.find({s.plan.key, r.real.endpoint});
      r.counters = it == baselines_.end() ? r.sinceStart : minus(r.sinceStart, it->second);
    }
    sumReals(s);
  }
}

}  // namespace ha::director
