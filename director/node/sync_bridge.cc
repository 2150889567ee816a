#include "director/node/sync_bridge.h"

#include <map>
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
  // Services selected by a mark, by family: a peer's flow names its destination, not the packet
  // mark, so it is admitted to the mark service only when one exists in its family.
  std::map<bool, int> markServices;
  for (const auto& vs : config.virtualServers) {
    auto group = config.serviceGroups.find(vs.group);
    if (vs.fwmark != 0 || (group != config.serviceGroups.end() && !group->second.fwmarks.empty())) {
      ++markServices[vs.vip.isV4()];
    }
  }
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
    const auto l4proto = static_cast<uint8_t>(vs.protocol);
    auto group = config.serviceGroups.find(vs.group);
    const bool byMark =
        vs.fwmark != 0 || (group != config.serviceGroups.end() && !group->second.fwmarks.empty());
    if (byMark && markServices[vs.vip.isV4()] == 1) {
      for (uint8_t proto : {uint8_t{6}, uint8_t{17}}) catalog[{proto, vs.vip, 0}] = service;
    }
    if (group != config.serviceGroups.end()) {  // every member VIP:port of the group
      for (const auto& entry : group->second.addresses) {
        for (uint32_t i = 0; i < entry.count; ++i)
          catalog[{l4proto, entry.first.plus(i), entry.port}] = service;
      }
      continue;
    }
    if (vs.fwmark != 0) continue;
    catalog[{l4proto, vs.vip, vs.port}] = std::move(service);
  }
  return catalog;
}

}  // namespace ha::director
