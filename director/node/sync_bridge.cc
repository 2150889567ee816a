#include "director/node/sync_bridge.h"

#include <memory>
#include <set>

#include "director/nft/names.h"

namespace ha::director {

sync::ServiceCatalog syncCatalogOf(const Config& config, const std::map<ServiceKey, uint32_t>& serviceIds) {
  // In a multi-director cluster each node SNATs to its own group and holds its peers' groups as
  // VRRP backup addresses, so a peer's flow may name any local address this node has configured.
  auto localAddresses = std::make_shared<std::set<IpAddress>>();
  for (const auto& [name, group] : config.laddrGroups) {
    localAddresses->insert(group.addresses.begin(), group.addresses.end());
  }
  sync::ServiceCatalog catalog;
  for (const auto& vs : config.virtualServers) {
    if (vs.mode != ForwardMode::kNat && vs.mode != ForwardMode::kFullNat) continue;
    auto id = serviceIds.find(serviceKeyOf(vs));
    if (id == serviceIds.end()) continue;
    sync::CatalogService service;
    service.mark = nft::serviceMark(id->second);
    service.fullnat = vs.mode == ForwardMode::kFullNat;
    for (const auto& real : vs.reals) service.reals.insert({real.address, real.port});
    if (vs.sorryServer) service.reals.insert({vs.sorryServer->address, vs.sorryServer->port});
    if (service.fullnat) service.localAddresses = localAddresses;
    catalog[{static_cast<uint8_t>(vs.protocol), vs.vip, vs.port}] = std::move(service);
  }
  return catalog;
}

}  // namespace ha::director
