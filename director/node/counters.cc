#include "director/node/counters.h"

#include <cstring>

#include "director/nft/names.h"
#include "director/nft/render.h"

namespace ha::director {
namespace {

uint32_t hostU32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

struct Keyed {
  uint32_t serviceId = 0;
  Endpoint real;
};

// mark [. dir] . addr . port; nullopt for a key that is not one of ours or has the wrong size.
std::optional<Keyed> decode(const nft::Bytes& key, bool v6, bool withDir, bool withPort) {
  size_t al = v6 ? 16 : 4;
  size_t expected = 4 + (withDir ? 4 : 0) + al + (withPort ? 4 : 0);
  if (key.size() != expected) return std::nullopt;
  uint32_t mark = hostU32(key.data());
  if ((mark & nft::kMarkTagMask) != nft::kMarkTag) return std::nullopt;
  size_t at = withDir ? 8 : 4;
  Keyed k;
  k.serviceId = mark & nft::kMaxServiceId;
  k.real.address = IpAddress::fromBytes(v6 ? Family::kV6 : Family::kV4, key.data() + at);
  if (withPort) k.real.port = be16(key.data() + at + al);
  return k;
}

RealSnapshot* findReal(ServiceSnapshot& s, const Endpoint& e, bool matchPort) {
  for (auto& r : s.reals) {
    if (r.real.endpoint.address == e.address && (!matchPort || r.real.endpoint.port == e.port)) return &r;
  }
  return nullptr;
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
      s.reals.push_back(RealSnapshot{r, {}, 0, 0, std::nullopt, {}, false});
    index[id] = snap.services.size();
    snap.services.push_back(std::move(s));
  }
  auto service = [&](uint32_t id) -> ServiceSnapshot* {
    auto it = index.find(id);
    return it == index.end() ? nullptr : &snap.services[it->second];
  };

  for (bool v6 : {false, true}) {
    for (const auto& e : v6 ? kc.stats6 : kc.stats4) {
      auto k = decode(e.key, v6, true, true);
      if (!k) continue;
      auto* s = service(k->serviceId);
      auto* r = s ? findReal(*s, k->real, true) : nullptr;
      if (!r) continue;  // a real since removed from the config
      bool reply = e.key[4] != 0;  // IP_CT_DIR_REPLY
      (reply ? r->counters.outPackets : r->counters.inPackets) += e.packets;
      (reply ? r->counters.outBytes : r->counters.inBytes) += e.bytes;
    }
    for (const auto& e : v6 ? kc.conns6 : kc.conns4) {
      auto k = decode(e.key, v6, false, true);
      if (!k) continue;
      auto* s = service(k->serviceId);
      if (auto* r = s ? findReal(*s, k->real, true) : nullptr) r->counters.conns += e.packets;
    }
  }
  for (const auto& e : kc.drStats) {  // l4proto . vip . vport . slot
    if (e.key.size() != 16) continue;
    uint32_t slot = hostU32(e.key.data() + 12);
    for (const auto& [id, sp] : plan.services) {
      if (sp.mode != ForwardMode::kDr || slot >= sp.slots.size()) continue;
      auto k = nft::drBackendKey(sp.key, slot);
      if (k != e.key) continue;
      auto* s = service(id);
      if (auto* r = s ? findReal(*s, sp.slots[slot], true) : nullptr) {
        r->counters.inPackets += e.packets;  // DR replies bypass the director
        r->counters.inBytes += e.bytes;
      }
    }
  }
  for (const auto& [key, counts] : kc.connections) {
    auto* s = service(key.serviceId);
    if (auto* r = s ? findReal(*s, key.real, true) : nullptr) {
      r->activeConns += counts.active;
      r->inactiveConns += counts.inactive;
    }
  }
  for (auto& s : snap.services) {
    for (const auto& r : s.reals) s.counters += r.counters;
  }
  return snap;
}

}  // namespace ha::director
