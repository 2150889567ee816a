#include "director/config/config_validator.h"

#include <map>
#include <string>
#include <tuple>
#include <utility>

#include "director/config/config_tree.h"
#include "director/config/known_schedulers.h"
#include "director/config/node_rules.h"
#include "director/sched/maglev.h"

namespace ha::director::config {
namespace {

std::string serviceName(const VirtualServerConfig& vs) {
  return "virtual_server " + virtualServerName(vs);
}

// Selected by a packet mark only: the reals may keep the packet's port (real port 0).
bool markOnly(const VirtualServerConfig& vs, const Config& config) {
  if (vs.fwmark != 0) return true;
  auto group = config.serviceGroups.find(vs.group);
  return group != config.serviceGroups.end() && group->second.addresses.empty();
}

std::string realName(const RealServerConfig& real) {
  return "real_server " + formatEndpoint(real.address, real.port);
}

std::string_view familyName(const IpAddress& a) { return a.isV4() ? "IPv4" : "IPv6"; }

const SourceLocation& orService(const SourceLocation& where, const VirtualServerConfig& vs) {
  return where.line > 0 ? where : vs.where;
}

void checkReals(const VirtualServerConfig& vs, const Config& config, DiagnosticSink& sink) {
  const std::string service = serviceName(vs);
  std::map<std::pair<IpAddress, uint16_t>, const RealServerConfig*> seen;
  for (const auto& real : vs.reals) {
    const std::string name = realName(real);
    auto [it, fresh] = seen.emplace(std::pair(real.address, real.port), &real);
    if (!fresh)
      sink.error(real.where, name + " in " + service + " " + definedAt(it->second->where));
    if (real.address == vs.vip) {
      sink.error(real.where, name + " in " + service + ": the real's address is the VIP");
    }
    if (real.address.family() != vs.vip.family()) {
      sink.error(real.where, name + " is " + std::string(familyName(real.address)) + " but " +
                                 service + " is " + std::string(familyName(vs.vip)));
    }
    bool rewritesPort = vs.mode == ForwardMode::kNat || vs.mode == ForwardMode::kFullNat;
    if (rewritesPort && real.port == 0 && !markOnly(vs, config)) {
      sink.error(real.where, name + " in " + service + ": " +
                                 std::string(forwardModeName(vs.mode)) +
                                 " needs a real port 1..65535");
    }
    if ((vs.mode == ForwardMode::kDr || vs.mode == ForwardMode::kTun) && real.port != 0 &&
        real.port != vs.port && vs.group.empty()) {
      // IPVS accepts this and ignores the real's port; say so rather than surprise.
      sink.warning(real.where, name + " in " + service + ": " +
                                   std::string(forwardModeName(vs.mode)) +
                                   " does not rewrite ports; the real receives port " +
                                   std::to_string(vs.port));
    }
  }
}

// The DR ingress device comes from whoever holds the VIP: a static_ipaddress entry, or a
// vrrp_instance that moves it with mastership.
bool holdsVip(const Config& config, const IpAddress& vip) {
  for (const auto& a : config.staticAddresses) {
    if (a.prefix.address == vip) return true;
  }
  return heldByVrrp(config, vip);
}

bool hasGroupMarks(const VirtualServerConfig& vs, const Config& config) {
  auto group = config.serviceGroups.find(vs.group);
  return group != config.serviceGroups.end() && !group->second.fwmarks.empty();
}

// What works at ingress (DR, TUN, client_address toa) is attached to the device the VIP
// arrives on, so every VIP of the service (a group's members) must be held by this config.
void checkVipsHeld(const VirtualServerConfig& vs, const Config& config, const std::string& what,
                   DiagnosticSink& sink) {
  const std::string because =
      " not held by any static_ipaddress entry or vrrp_instance, cannot pick the ingress device";
  if (vs.group.empty()) {
    if (!holdsVip(config, vs.vip))
      sink.error(vs.where, what + " " + serviceName(vs) + ": VIP" + because);
    return;
  }
  auto group = config.serviceGroups.find(vs.group);
  if (group == config.serviceGroups.end()) return;
  for (const auto& entry : group->second.addresses) {
    for (uint32_t i = 0; i < entry.count; ++i) {
      if (holdsVip(config, entry.first.plus(i))) continue;
      sink.error(entry.where,
                 what + " " + serviceName(vs) + ": VIP " + entry.first.plus(i).str() + because);
      break;
    }
  }
}

void checkMode(const VirtualServerConfig& vs, const ServiceKeywordLocations& loc,
               const Config& config, DiagnosticSink& sink) {
  const std::string service = serviceName(vs);
  const SourceLocation& kindWhere = orService(loc.lbKind, vs);
  switch (vs.mode) {
    case ForwardMode::kDr:
    case ForwardMode::kTun: {
      // DR: netdev ingress; TUN: the eBPF datapath at tcx ingress. Both run before conntrack.
      const std::string mode(forwardModeName(vs.mode));
      if (vs.mode == ForwardMode::kDr && !vs.vip.isV4())
        sink.error(kindWhere, service + ": DR over IPv6 is not supported yet");
      if (!isFlowHashScheduler(vs.scheduler)) {
        // docs/architecture.md §4: ingress runs before conntrack, so numgen would re-pick
        // per packet.
        sink.error(orService(loc.lbAlgo, vs),
                   service + ": " + mode +
                       " picks reals before conntrack, so it needs a flow-hash "
                       "scheduler (sh or mh); got " +
                       vs.scheduler);
      }
      if (vs.fwmark != 0 || markOnly(vs, config) || hasGroupMarks(vs, config)) {
        // The operator's mark rules run in the IP stack; the real is picked at ingress, before
        // any of them (and before conntrack), so no mark exists there to select on.
        sink.error(kindWhere, service + ": " + mode +
                                  " picks the real at ingress, before any prerouting "
                                  "rule can set the packet mark, so a service selected by fwmark "
                                  "cannot use lb_kind " +
                                  mode);
      } else {
        checkVipsHeld(vs, config, mode, sink);
      }
      if (vs.persistenceTimeoutSec.value_or(0) != 0) {
        // No connection state at ingress, so no timed client affinity: the hash is the affinity.
        const bool hashesPort =
            vs.schedulerFlags.count("sh-port") + vs.schedulerFlags.count("mh-port") != 0;
        sink.warning(
            vs.where,
            service + ": persistence_timeout ignored: " + mode + " keeps no per-client state; " +
                (hashesPort
                     ? "with " + vs.scheduler + "-port a client's connections spread over the reals"
                     : "a client always reaches the same real while the reals do not change (" +
                           vs.scheduler + " hashes its address)"));
      }
      break;
    }
    case ForwardMode::kFullNat: {
      if (vs.laddrGroup.empty()) {
        sink.error(kindWhere, service + ": lb_kind FNAT needs laddr_group_name");
        break;
      }
      auto group = config.laddrGroups.find(vs.laddrGroup);
      if (group == config.laddrGroups.end()) {
        sink.error(loc.laddrGroup, service +
                                       ": laddr_group_name names unknown local_address_group '" +
                                       vs.laddrGroup + "'");
      } else if (!group->second.addresses.empty() &&
                 group->second.addresses.front().family() != vs.vip.family()) {
        sink.error(loc.laddrGroup, service + ": local_address_group " + vs.laddrGroup + " is " +
                                       std::string(familyName(group->second.addresses.front())) +
                                       " but the VIP is " + std::string(familyName(vs.vip)));
      }
      break;
    }
    case ForwardMode::kNat:
      break;
  }
  if (vs.mode != ForwardMode::kFullNat && !vs.laddrGroup.empty()) {
    sink.warning(loc.laddrGroup, service +
                                     ": laddr_group_name ignored: only lb_kind FNAT uses "
                                     "local addresses");
  }
}

// ip_vs_ftp rewrites PORT/227 only for masqueraded (NAT) connections; we do the same for FULLNAT.
void checkFtpHelper(const VirtualServerConfig& vs, const ServiceKeywordLocations& loc,
                    DiagnosticSink& sink) {
  if (!vs.ftpHelper.value_or(false)) return;
  const std::string service = serviceName(vs);
  if (vs.protocol != Protocol::kTcp) {
    sink.error(loc.ftpHelper, service + ": ftp_helper needs protocol TCP (FTP runs over TCP)");
  } else if (vs.mode == ForwardMode::kDr || vs.mode == ForwardMode::kTun) {
    sink.error(loc.ftpHelper, service + ": ftp_helper needs lb_kind NAT or FNAT: " +
                                  std::string(forwardModeName(vs.mode)) +
                                  " rewrites no address (the real answers the client itself), "
                                  "so there is no PORT/PASV reply to fix");
  }
}

// client_address toa: only FULLNAT hides the client (NAT, DR and TUN deliver its address), and
// the eBPF datapath finds the service by the SYN's VIP:port on the device that VIP arrives on.
void checkClientAddress(const VirtualServerConfig& vs, const ServiceKeywordLocations& loc,
                        const Config& config, DiagnosticSink& sink) {
  if (!vs.clientAddressToa) return;
  const std::string service = serviceName(vs);
  if (vs.mode != ForwardMode::kFullNat) {
    sink.error(loc.clientAddress, service + ": client_address toa needs lb_kind FNAT: " +
                                      std::string(forwardModeName(vs.mode)) +
                                      " already delivers the client's own address to the real");
  } else if (vs.protocol != Protocol::kTcp) {
    sink.error(loc.clientAddress,
               service + ": client_address toa needs protocol TCP (TOA is a TCP option)");
  } else if (vs.fwmark != 0 || markOnly(vs, config) || hasGroupMarks(vs, config)) {
    sink.error(loc.clientAddress, service +
                                      ": client_address toa finds the service by VIP:port at "
                                      "ingress, before any rule sets a packet mark");
  } else {
    checkVipsHeld(vs, config, "client_address toa", sink);
  }
}

void checkSchedulerOptions(const VirtualServerConfig& vs, const ServiceKeywordLocations& loc,
                           DiagnosticSink& sink) {
  const std::string service = serviceName(vs);
  if (vs.mhTableSize != 0 && vs.scheduler != "mh") {
    sink.warning(loc.mhTableSize, service + ": mh_table_size ignored: lb_algo is " + vs.scheduler);
  }
  for (const auto& flag : vs.schedulerFlags) {
    if (flag.substr(0, 2) != vs.scheduler) {
      sink.warning(loc.flags, service + ": " + flag + " ignored: lb_algo is " + vs.scheduler);
    }
  }
}

// The Maglev tables are built and installed in full: their total, not each one, bounds the plan.
void checkMaglevSlots(const MappedConfig& mapped, DiagnosticSink& sink) {
  uint64_t total = 0;
  for (size_t i = 0; i < mapped.config.virtualServers.size(); ++i) {
    const auto& vs = mapped.config.virtualServers[i];
    if (vs.scheduler != "mh") continue;
    total += vs.mhTableSize != 0 ? vs.mhTableSize : kDefaultMaglevTableSize;
    if (total <= kMaxMaglevSlots) continue;
    sink.error(orService(mapped.serviceKeywords[i].mhTableSize, vs),
               serviceName(vs) + ": the Maglev tables of the mh services so far hold " +
                   std::to_string(total) + " slots, more than " + std::to_string(kMaxMaglevSlots) +
                   " in all (mh_table_size)");
    return;
  }
}

void checkLocalAddressesAreNotVips(const Config& config, DiagnosticSink& sink) {
  std::map<IpAddress, const VirtualServerConfig*> vips;
  for (const auto& vs : config.virtualServers) vips.emplace(vs.vip, &vs);
  for (const auto& [name, group] : config.laddrGroups) {
    for (const auto& address : group.addresses) {
      auto vip = vips.find(address);
      if (vip == vips.end()) continue;
      sink.error(group.where, "local address " + address.str() + " in local_address_group " + name +
                                  " is the VIP of " + serviceName(*vip->second));
    }
  }
}

}  // namespace

void validateConfig(const MappedConfig& mapped, DiagnosticSink& sink) {
  const Config& config = mapped.config;
  std::map<std::tuple<Protocol, IpAddress, uint16_t>, const VirtualServerConfig*> services;
  for (size_t i = 0; i < config.virtualServers.size(); ++i) {
    const auto& vs = config.virtualServers[i];
    const auto& loc = mapped.serviceKeywords[i];
    if (vs.fwmark == 0 && vs.group.empty()) {  // fwmark and group: validateServiceGroups
      auto [it, fresh] = services.emplace(std::tuple(vs.protocol, vs.vip, vs.port), &vs);
      if (!fresh) sink.error(vs.where, serviceName(vs) + " " + definedAt(it->second->where));
    }
    checkReals(vs, config, sink);
    checkMode(vs, loc, config, sink);
    checkSchedulerOptions(vs, loc, sink);
    checkFtpHelper(vs, loc, sink);
    checkClientAddress(vs, loc, config, sink);
    validateServiceHealth(vs, loc, sink);
  }
  validateServiceGroups(mapped, sink);
  checkLocalAddressesAreNotVips(config, sink);
  checkMaglevSlots(mapped, sink);
  validateVrrp(mapped, sink);
  validateSync(mapped, sink);
}

}  // namespace ha::director::config
