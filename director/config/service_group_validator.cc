// validateServiceGroups(): what keepalived (or IPVS, when keepalived hands it the expansion)
// refuses about virtual_server_group, `virtual_server group` and `virtual_server fwmark`: a group
// used twice with one protocol, and an address:port or a mark that would select two services.
#include <map>
#include <set>
#include <string>
#include <tuple>

#include "director/config/config_validator.h"
#include "director/config/node_rules.h"

namespace ha::director::config {
namespace {

// Every VIP:port and mark of the config, pointing at where it was written.
struct Selectors {
  std::map<std::tuple<Protocol, IpAddress, uint16_t>, SourceLocation> addresses;
  std::map<std::pair<bool, uint32_t>, SourceLocation> marks;  // (IPv6, mark)
};

bool claimAddress(Selectors& s, Protocol protocol, const IpAddress& vip, uint16_t port,
                  const SourceLocation& where, const std::string& owner, DiagnosticSink& sink) {
  auto [it, fresh] = s.addresses.emplace(std::tuple(protocol, vip, port), where);
  if (fresh) return true;
  sink.error(where, owner + ": " + std::string(protocolName(protocol)) + " " +
                        formatEndpoint(vip, port) + " overlaps the service written at " +
                        it->second.str() + " (one VIP:port selects one service)");
  return false;
}

void claimMark(Selectors& s, bool v6, uint32_t mark, const SourceLocation& where,
               const std::string& owner, DiagnosticSink& sink) {
  auto [it, fresh] = s.marks.emplace(std::pair(v6, mark), where);
  if (fresh) return;
  sink.error(where, owner + ": fwmark " + std::to_string(mark) +
                        " overlaps the service written at " + it->second.str() +
                        " (IPVS keys fwmark services by mark and family only)");
}

// A mark service's reals either all keep the packet's port (0) or all name one: a slot's real
// is written as address . port, so the class chain either rewrites the port or keeps it.
void checkMarkPorts(const VirtualServerConfig& vs, DiagnosticSink& sink) {
  const RealServerConfig* zero = nullptr;
  const RealServerConfig* set = nullptr;
  for (const auto& real : vs.reals) (real.port == 0 ? zero : set) = &real;
  if (zero != nullptr && set != nullptr) {
    sink.error(zero->where, "virtual_server " + virtualServerName(vs) + ": real_server " +
                                zero->address.str() + " keeps the packet's port but real_server " +
                                formatEndpoint(set->address, set->port) +
                                " rewrites it; give every real a port or none");
  }
}

}  // namespace

void validateServiceGroups(const MappedConfig& mapped, DiagnosticSink& sink) {
  const Config& config = mapped.config;
  Selectors selectors;
  std::map<std::pair<std::string, Protocol>, const VirtualServerConfig*> groupUsers;
  std::map<std::string, const VirtualServerConfig*> markGroupUsers;
  // Plain services first (their duplicates are validateConfig's), so a group member overlapping
  // one is reported at the member whatever the order of the blocks.
  for (const auto& vs : config.virtualServers) {
    if (vs.fwmark == 0 && vs.group.empty()) {
      selectors.addresses.emplace(std::tuple(vs.protocol, vs.vip, vs.port), vs.where);
    }
  }
  for (const auto& vs : config.virtualServers) {
    const std::string owner = "virtual_server " + virtualServerName(vs);
    if (vs.fwmark != 0) {
      claimMark(selectors, !vs.vip.isV4(), vs.fwmark, vs.where, owner, sink);
      checkMarkPorts(vs, sink);
      continue;
    }
    if (vs.group.empty()) continue;
    auto group = config.serviceGroups.find(vs.group);
    if (group == config.serviceGroups.end()) continue;  // reported by completeServiceGroups
    const VirtualServerGroup& g = group->second;
    // keepalived.conf(5): "do not have two virtual servers with the same protocol and address
    // family using the same virtual server group".
    auto [user, fresh] = groupUsers.emplace(std::pair(vs.group, vs.protocol), &vs);
    if (!fresh) {
      sink.error(vs.where, owner + ": virtual_server_group " + vs.group + " is already used by " +
                               "the " + std::string(protocolName(vs.protocol)) +
                               " virtual_server at " + user->second->where.str());
      continue;
    }
    if (!g.fwmarks.empty()) {
      // A mark selects packets of every protocol, so a second user would take the same marks.
      auto [markUser, markFresh] = markGroupUsers.emplace(vs.group, &vs);
      if (!markFresh) {
        sink.error(vs.where, owner + ": virtual_server_group " + vs.group +
                                 " has fwmarks, which select every protocol, and is already used "
                                 "by the virtual_server at " +
                                 markUser->second->where.str());
        continue;
      }
      if (g.addresses.empty()) checkMarkPorts(vs, sink);
    }
    for (const auto& entry : g.addresses) {
      // One report per entry (a range overlapping another would report every address), but
      // every address claimed, so a later overlap with the rest is still found.
      bool reported = false;
      for (uint32_t i = 0; i < entry.count; ++i) {
        const IpAddress vip = entry.first.plus(i);
        if (reported) {
          selectors.addresses.emplace(std::tuple(vs.protocol, vip, entry.port), entry.where);
        } else {
          reported =
              !claimAddress(selectors, vs.protocol, vip, entry.port, entry.where, owner, sink);
        }
      }
    }
    for (const auto& mark : g.fwmarks) {
      claimMark(selectors, !vs.vip.isV4(), mark.mark, mark.where, owner, sink);
    }
  }
  for (const auto& [name, group] : config.serviceGroups) {
    bool used = false;
    for (const auto& vs : config.virtualServers) used = used || vs.group == name;
    if (!used) {
      sink.warning(group.where, "virtual_server_group " + name +
                                    " is not used: no virtual_server names it with 'group " + name +
                                    "'");
    }
  }
}

}  // namespace ha::director::config
