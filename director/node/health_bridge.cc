#include "director/node/health_bridge.h"

#include <map>
#include <set>
#include <type_traits>
#include <variant>

#include "director/nft/names.h"
#include "director/nft/render.h"

namespace ha::director {

healthcheck::ServiceKey healthKeyOf(const ServiceKey& key) {
  return {static_cast<uint8_t>(key.protocol), key.vip, key.port, key.fwmark, key.group};
}

ServiceKey serviceKeyOf(const healthcheck::ServiceKey& key) {
  return {static_cast<Protocol>(key.protocol), key.vip, key.vport, key.fwmark, key.group};
}

healthcheck::HealthConfig healthConfigOf(const Config& config) {
  healthcheck::HealthConfig out;
  out.virtualServers.reserve(config.virtualServers.size());
  for (const auto& vs : config.virtualServers) {
    healthcheck::VirtualServerHealthConfig h;
    h.location = vs.where.str();
    h.key = healthKeyOf(serviceKeyOf(vs));
    h.alpha = vs.alpha;
    h.quorum = vs.quorum;
    h.hysteresis = vs.hysteresis;
    h.quorumUp = vs.quorumUp;
    h.quorumDown = vs.quorumDown;
    h.reals.reserve(vs.reals.size());
    for (const auto& rs : vs.reals) {
      healthcheck::RealHealthConfig r;
      r.location = rs.where.str();
      r.key = {h.key.protocol, vs.vip, vs.port, rs.address, rs.port, vs.fwmark, vs.group};
      r.weight = rs.weight;
      r.checkers = rs.checkers;
      r.fileChecks = rs.fileChecks;
      r.inhibitOnFailure = rs.inhibitOnFailure;
      r.notifyUp = rs.notifyUp;
      r.notifyDown = rs.notifyDown;
      h.reals.push_back(std::move(r));
    }
    out.virtualServers.push_back(std::move(h));
  }
  out.trackFiles = config.trackFiles;
  return out;
}

void mergeHealth(DirectorSnapshot& snapshot, healthcheck::HealthSnapshot health) {
  snapshot.distinctProbes = health.distinctProbes;
  snapshot.probesRun = health.probesRun;
  snapshot.probesInFlight = health.probesInFlight;
  snapshot.probeLatencyByKind = std::move(health.latencyByKind);
  std::map<healthcheck::RealKey, healthcheck::RealStatus*> byKey;
  for (auto& r : health.reals) {
    if (!r.checkers.empty()) byKey[r.key] = &r;
  }
  for (auto& service : snapshot.services) {
    const auto key = healthKeyOf(service.plan.key);
    for (auto& real : service.reals) {
      auto it = byKey.find({key.protocol, key.vip, key.vport, real.real.endpoint.address,
                            real.real.endpoint.port, key.fwmark, key.group});
      if (it != byKey.end()) real.health = std::move(*it->second);
    }
  }
}

std::vector<nft::Element> persistEntriesOf(const std::vector<nft::Element>& elements,
                                           const std::vector<FlowOwner>& owners) {
  std::set<std::pair<nft::Bytes, nft::Bytes>> doomed;  // (mark bytes, real . port bytes)
  for (const auto& o : owners) {
    doomed.insert({nft::KeyBuilder().hostU32(nft::serviceMark(o.serviceId)).take(), nft::endpointData(o.real)});
  }
  constexpr size_t kMarkBytes = 4;  // the key ends with the service's mark
  std::vector<nft::Element> out;
  for (const auto& e : elements) {
    const auto* data = std::get_if<nft::Bytes>(&e.data);
    if (data == nullptr || e.key.size() < kMarkBytes) continue;
    nft::Bytes mark(e.key.end() - static_cast<std::ptrdiff_t>(kMarkBytes), e.key.end());
    if (doomed.count({mark, *data}) != 0) out.push_back(nft::Element{e.key, {}});
  }
  return out;
}

HealthDelta foldHealthEvents(HealthInputs& inputs, const std::vector<healthcheck::HealthEvent>& events) {
  HealthDelta delta;
  for (const auto& event : events) {
    std::visit(
        [&](const auto& e) {
          using T = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<T, healthcheck::RealVerdict>) {
            ServiceKey service{static_cast<Protocol>(e.key.protocol), e.key.vip, e.key.vport,
                               e.key.fwmark, e.key.group};
            Endpoint real{e.key.address, e.key.port};
            RealHealth next{e.up, e.dynamicWeight, e.reason};
            auto [it, inserted] = inputs.reals.try_emplace({service, real}, next);
            const bool wasUp = inserted ? true : it->second.up;
            if (!inserted && it->second == next) return;
            it->second = next;
            delta.services.insert(service);
            if (wasUp && !e.up) delta.wentDown.emplace_back(service, real);
          } else {
            ServiceKey service = serviceKeyOf(e.key);
            const bool known = inputs.quorumLost.count(service) == 0;
            if (known == e.up) return;
            if (e.up) inputs.quorumLost.erase(service);
            else inputs.quorumLost.insert(service);
            delta.services.insert(service);
            delta.quorum.emplace_back(e.key.str(), e.up);
          }
        },
        event);
  }
  return delta;
}

}  // namespace ha::director
