// validateVrrp(): rules across VRRP blocks and against the rest of the config. Refusals say which
// instance is not started and why (docs/style.md §6).
#include <map>
#include <set>
#include <string>
#include <tuple>

#include "director/config/config_validator.h"
#include "director/config/node_rules.h"

namespace ha::director::config {
namespace {

std::string_view familyName(Family f) { return f == Family::kV4 ? "IPv4" : "IPv6"; }

template <typename Item, typename Source>
void checkUniqueNames(const std::vector<Item>& items, const std::vector<Source>& sources,
                      std::string_view block, DiagnosticSink& sink) {
  std::map<std::string, const Source*> seen;
  for (size_t i = 0; i < items.size(); ++i) {
    auto [it, fresh] = seen.emplace(items[i].name, &sources[i]);
    if (!fresh) {
      sink.error(sources[i].where,
                 std::string(block) + " " + items[i].name + " " + definedAt(it->second->where));
    }
  }
}

void checkStartable(const vrrp::InstanceConfig& inst, const InstanceSource& src,
                    DiagnosticSink& sink) {
  const std::string head = "instance " + inst.name + " not started: ";
  if (inst.interface.empty()) sink.error(src.where, head + "no interface configured");
  if (src.lines.vrid.line == 0) sink.error(src.where, head + "no virtual_router_id configured");
  if (inst.addresses.empty()) sink.error(src.where, head + "no virtual addresses configured");
}

// RFC 5798 §5.2.3: a VRID names one virtual router per LAN and family.
void checkVrids(const vrrp::VrrpConfig& cfg, const VrrpSources& sources, DiagnosticSink& sink) {
  std::map<std::tuple<std::string, Family, uint8_t>, size_t> seen;
  for (size_t i = 0; i < cfg.instances.size(); ++i) {
    const auto& inst = cfg.instances[i];
    const auto& src = sources.instances[i];
    if (inst.interface.empty() || src.lines.vrid.line == 0) continue;
    auto [it, fresh] = seen.emplace(std::tuple(inst.interface, inst.family, inst.vrid), i);
    if (fresh) continue;
    const auto& first = cfg.instances[it->second];
    sink.error(src.lines.vrid, "instance " + inst.name + " not started: virtual_router_id " +
                                   std::to_string(inst.vrid) + " is already used on " +
                                   inst.interface + " for " + std::string(familyName(inst.family)) +
                                   " by vrrp_instance " + first.name + " (" +
                                   sources.instances[it->second].where.str() + ")");
  }
}

// One owner per address: two instances, or an instance and static_ipaddress, would add and remove
// it under each other.
void checkAddressOwners(const Config& config, const VrrpSources& sources, DiagnosticSink& sink) {
  std::map<IpAddress, const StaticAddress*> statics;
  for (const auto& sa : config.staticAddresses) statics.emplace(sa.prefix.address, &sa);
  std::map<IpAddress, std::pair<const vrrp::InstanceConfig*, SourceLocation>> owners;
  for (size_t i = 0; i < config.vrrp.instances.size(); ++i) {
    const auto& inst = config.vrrp.instances[i];
    const auto& src = sources.instances[i];
    auto visit = [&](const vrrp::VirtualAddress& va, const SourceLocation& where) {
      const IpAddress& address = va.prefix.address;
      if (auto st = statics.find(address); st != statics.end()) {
        sink.error(where, "address " + address.str() + " has two owners: static_ipaddress (" +
                              st->second->where.str() + ") and vrrp_instance " + inst.name +
                              "; list it in one of them");
      }
      auto [it, fresh] = owners.emplace(address, std::pair(&inst, where));
      if (fresh) return;
      sink.error(where, "virtual address " + address.str() + " of vrrp_instance " + inst.name +
                            (it->second.first == &inst
                                 ? " listed twice (first at " + it->second.second.str() + ")"
                                 : " already belongs to vrrp_instance " + it->second.first->name +
                                       " (" + it->second.second.str() + ")"));
    };
    for (size_t a = 0; a < inst.addresses.size(); ++a) visit(inst.addresses[a], src.addresses[a]);
    for (size_t a = 0; a < inst.excludedAddresses.size(); ++a) {
      visit(inst.excludedAddresses[a], src.excludedAddresses[a]);
    }
  }
}

// track_virtual_server names a virtual_server of this config (by protocol, VIP and port).
void checkTrackedVirtualServers(const Config& config, const VrrpSources& sources,
                                DiagnosticSink& sink) {
  std::set<std::string> services;
  for (const auto& vs : config.virtualServers) {
    services.insert(
        healthcheck::ServiceKey{static_cast<uint8_t>(vs.protocol), vs.vip, vs.port}.str());
  }
  for (size_t i = 0; i < config.vrrp.instances.size(); ++i) {
    const auto& inst = config.vrrp.instances[i];
    for (size_t t = 0; t < inst.trackVirtualServers.size(); ++t) {
      const std::string& name = inst.trackVirtualServers[t].name;
      if (services.count(name) != 0) continue;
      sink.error(sources.instances[i].trackVirtualServers[t],
                 "vrrp_instance " + inst.name + ": track_virtual_server " + name +
                     " names no virtual_server of this config");
    }
  }
}

}  // namespace

void validateVrrp(const MappedConfig& mapped, DiagnosticSink& sink) {
  const auto& cfg = mapped.config.vrrp;
  const auto& sources = mapped.vrrp;
  checkUniqueNames(cfg.instances, sources.instances, "vrrp_instance", sink);
  checkUniqueNames(cfg.scripts, sources.scripts, "vrrp_script", sink);
  checkUniqueNames(cfg.syncGroups, sources.syncGroups, "vrrp_sync_group", sink);
  for (size_t i = 0; i < cfg.instances.size(); ++i) {
    checkStartable(cfg.instances[i], sources.instances[i], sink);
  }
  checkVrids(cfg, sources, sink);
  checkAddressOwners(mapped.config, sources, sink);
  checkTrackedVirtualServers(mapped.config, sources, sink);
}

bool heldByVrrp(const Config& config, const IpAddress& address) {
  for (const auto& inst : config.vrrp.instances) {
    for (const auto* list : {&inst.addresses, &inst.excludedAddresses}) {
      for (const auto& va : *list) {
        if (va.prefix.address == address) return true;
      }
    }
  }
  return false;
}

}  // namespace ha::director::config
