#include "director/plan/forwarding_plan.h"

#include <algorithm>
#include <set>

#include "common/flow_mark.h"
#include "director/sched/maglev.h"

namespace ha::director {

std::string ServiceKey::str() const {
  if (fwmark != 0) return "FWM " + std::to_string(fwmark) + (vip.isV4() ? "" : " IPv6");
  if (!group.empty()) return std::string(protocolName(protocol)) + " group " + group;
  return std::string(protocolName(protocol)) + " " + formatEndpoint(vip, port);
}

ServiceKey serviceKeyOf(const VirtualServerConfig& vs) {
  return {vs.protocol, vs.vip, vs.port, vs.fwmark, vs.group};
}

ServiceKey resolveServiceKey(const ForwardingPlan& plan, const ServiceKey& asked) {
  const ServicePlan* byMarkV6 = nullptr;
  for (const auto& [id, sp] : plan.services) {
    if (sp.key == asked) return asked;
  }
  for (const auto& [id, sp] : plan.services) {
    if (asked.fwmark != 0) {
      auto marks = selectorMarks(sp);
      if (std::find(marks.begin(), marks.end(), asked.fwmark) == marks.end()) continue;
      if (sp.key.vip.isV4()) return sp.key;
      byMarkV6 = &sp;
    } else if (asked.group.empty() && sp.key.protocol == asked.protocol) {
      for (const auto& member : sp.groupAddresses) {
        if (member.address == asked.vip && member.port == asked.port) return sp.key;
      }
    }
  }
  return byMarkV6 != nullptr ? byMarkV6->key : asked;
}

std::vector<ServiceKey> selectorAddresses(const ServicePlan& sp) {
  if (sp.key.plain()) return {sp.key};
  std::vector<ServiceKey> keys;
  keys.reserve(sp.groupAddresses.size());
  for (const auto& e : sp.groupAddresses) keys.push_back({sp.key.protocol, e.address, e.port});
  return keys;
}

std::vector<uint32_t> selectorMarks(const ServicePlan& sp) {
  if (sp.key.fwmark != 0) return {sp.key.fwmark};
  return sp.groupFwmarks;
}

bool keepsPacketPort(const ServicePlan& sp) {
  if (!sp.groupAddresses.empty() || sp.key.plain()) return false;
  return std::all_of(sp.reals.begin(), sp.reals.end(),
                     [](const PlannedReal& r) { return r.endpoint.port == 0; });
}

ConnTimeouts resolveTimeouts(const LvsTimeouts& global, const LvsTimeouts& service) {
  ConnTimeouts t;
  t.tcpSec = service.tcpSec.value_or(global.tcpSec.value_or(t.tcpSec));
  t.tcpFinSec = service.tcpFinSec.value_or(global.tcpFinSec.value_or(t.tcpFinSec));
  t.udpSec = service.udpSec.value_or(global.udpSec.value_or(t.udpSec));
  return t;
}

std::string timeoutsText(const ConnTimeouts& t) {
  return "tcp " + std::to_string(t.tcpSec) + " tcpfin " + std::to_string(t.tcpFinSec) + " udp " +
         std::to_string(t.udpSec);
}

bool wantsFtpHelper(const VirtualServerConfig& vs, const VirtualServerGroup* group) {
  bool rewrites = vs.mode == ForwardMode::kNat || vs.mode == ForwardMode::kFullNat;
  if (!rewrites || vs.protocol != Protocol::kTcp) return false;
  if (vs.ftpHelper) return *vs.ftpHelper;
  if (group == nullptr) return vs.port == kFtpControlPort;
  return std::any_of(group->addresses.begin(), group->addresses.end(),
                     [](const auto& member) { return member.port == kFtpControlPort; });
}

std::map<ServiceKey, uint32_t> assignServiceIds(const std::map<ServiceKey, uint32_t>& previous,
                                                const Config& config) {
  std::map<ServiceKey, uint32_t> ids;
  std::set<uint32_t> used;
  for (const auto& vs : config.virtualServers) {
    auto key = serviceKeyOf(vs);
    if (auto it = previous.find(key); it != previous.end()) {
      ids[key] = it->second;
      used.insert(it->second);
    }
  }
  uint32_t next = 1;  // 0 stays free so an unmarked flow never looks like a service
  for (const auto& vs : config.virtualServers) {
    auto key = serviceKeyOf(vs);
    if (ids.count(key) != 0) continue;
    while (used.count(next) != 0) ++next;
    ids[key] = next;
    used.insert(next);
  }
  return ids;
}

namespace {

std::map<std::string, uint32_t> laddrGroupIds(const Config& config) {
  // By name order: stable while the set of groups is unchanged; ids only name chains and keys.
  std::map<std::string, uint32_t> ids;
  uint32_t next = 1;
  for (const auto& [name, group] : config.laddrGroups) ids[name] = next++;
  return ids;
}

std::string ingressDeviceFor(const Config& config, const IpAddress& vip) {
  for (const auto& sa : config.staticAddresses) {
    if (sa.prefix.address == vip) return sa.dev;
  }
  // A VRRP-held VIP arrives on its address's dev, by default the instance's interface.
  for (const auto& instance : config.vrrp.instances) {
    for (const auto* list : {&instance.addresses, &instance.excludedAddresses}) {
      for (const auto& a : *list) {
        if (a.prefix.address == vip) return a.dev.empty() ? instance.interface : a.dev;
      }
    }
  }
  return {};
}

// The live counts of a connection-count service's reals, and how many picks its table predicts.
void applyLoad(const ServiceLoad* load, std::vector<SchedReal>& live,
               std::vector<PlannedReal>& reals, SchedulerParams& params) {
  if (load == nullptr) return;
  params.horizon = std::max<uint32_t>(load->horizon, 1);
  // A real of port 0 (an fwmark service keeping the packet's port) is counted over every port.
  auto loadOf = [&](const Endpoint& real) {
    RealLoad sum;
    if (real.port != 0) {
      auto it = load->reals.find(real);
      return it == load->reals.end() ? sum : it->second;
    }
    for (const auto& [endpoint, l] : load->reals) {
      if (endpoint.address != real.address) continue;
      sum.active += l.active;
      sum.inactive += l.inactive;
    }
    return sum;
  };
  for (auto& r : live) {
    RealLoad l = loadOf({r.address, r.port});
    r.activeConns = l.active;
    r.inactiveConns = l.inactive;
  }
  for (auto& r : reals) {
    RealLoad l = loadOf(r.endpoint);
    r.activeConns = l.active;
    r.inactiveConns = l.inactive;
  }
}

Result<ServicePlan> planService(const VirtualServerConfig& vs, uint32_t id, const Config& config,
                                const std::map<std::string, uint32_t>& groupIds,
                                const HealthInputs* health, const ConnectionLoads* loads) {
  const Scheduler* scheduler = findScheduler(vs.scheduler);
  if (scheduler == nullptr) {
    return Error{vs.where.str() + ": unknown scheduler '" + vs.scheduler + "'"};
  }
  ServicePlan sp;
  sp.id = id;
  sp.key = serviceKeyOf(vs);
  sp.mode = vs.mode;
  sp.scheduler = vs.scheduler;
  sp.pick = scheduler->pick();
  sp.hashPort = vs.schedulerFlags.count("sh-port") != 0 || vs.schedulerFlags.count("mh-port") != 0;
  sp.persistenceTimeoutSec = vs.persistenceTimeoutSec.value_or(0);
  // Without persistence the granularity means nothing (IPVS ignores it too).
  if (sp.persistenceTimeoutSec != 0) sp.persistenceMask = vs.persistenceGranularity;
  sp.timeouts = resolveTimeouts(config.globals.lvsTimeouts, vs.lvsTimeouts);
  sp.oneShot = vs.oneShot;
  sp.where = vs.where;
  if (!vs.group.empty()) {
    auto group = config.serviceGroups.find(vs.group);
    if (group == config.serviceGroups.end()) {
      return Error{vs.where.str() + ": virtual_server_group '" + vs.group + "' not defined"};
    }
    for (const auto& entry : group->second.addresses) {
      for (uint32_t i = 0; i < entry.count; ++i)
        sp.groupAddresses.push_back({entry.first.plus(i), entry.port});
    }
    for (const auto& mark : group->second.fwmarks) sp.groupFwmarks.push_back(mark.mark);
    sp.ftpHelper = wantsFtpHelper(vs, &group->second);
  } else {
    sp.ftpHelper = wantsFtpHelper(vs);
  }

  // keepalived (ipwrapper.c): with the quorum lost and a sorry server, the live reals leave the
  // service and the sorry server takes the new flows; without one, the live reals stay.
  sp.quorumUp = health == nullptr || health->quorumLost.count(sp.key) == 0;
  if (vs.sorryServer) sp.sorryServer = Endpoint{vs.sorryServer->address, vs.sorryServer->port};
  sp.sorryActive = !sp.quorumUp && sp.sorryServer.has_value();

  std::vector<SchedReal> live;
  for (const auto& rs : vs.reals) {
    PlannedReal pr;
    pr.endpoint = {rs.address, rs.port};
    pr.where = rs.where;
    pr.configuredWeight = rs.weight;
    pr.inhibitOnFailure = rs.inhibitOnFailure;
    pr.weight = rs.weight;
    if (health != nullptr) {
      if (auto it = health->reals.find({sp.key, pr.endpoint}); it != health->reals.end()) {
        pr.healthy = it->second.up;
        pr.healthReason = it->second.reason;
        if (it->second.dynamicWeight) pr.weight = *it->second.dynamicWeight;
      }
    }
    if (!pr.healthy && pr.inhibitOnFailure) pr.weight = 0;
    pr.inRotation = pr.healthy && pr.weight > 0 && !sp.sorryActive;
    if (pr.inRotation) live.push_back({rs.address, rs.port, pr.weight});
    sp.reals.push_back(pr);
  }
  if (sp.sorryActive) live.push_back({sp.sorryServer->address, sp.sorryServer->port, 1});
  SchedulerParams params;
  params.maglevTableSize = vs.mhTableSize != 0 ? vs.mhTableSize : kDefaultMaglevTableSize;
  if (scheduler->countsConnections() && loads != nullptr) {
    auto load = loads->find(id);
    applyLoad(load == loads->end() ? nullptr : &load->second, live, sp.reals, params);
    if (load != loads->end()) {
      SlotTable next = scheduler->build(live, SchedulerParams{.maglevTableSize = 0, .horizon = 1});
      if (!next.slots.empty())
        sp.nextPick = Endpoint{live[next.slots[0]].address, live[next.slots[0]].port};
    }
  }
  SlotTable table = scheduler->build(live, params);
  sp.slots.reserve(table.slots.size());
  for (uint32_t index : table.slots) sp.slots.push_back({live[index].address, live[index].port});

  if (vs.mode == ForwardMode::kFullNat) {
    auto it = groupIds.find(vs.laddrGroup);
    if (it == groupIds.end()) {
      return Error{vs.where.str() + ": local_address_group '" + vs.laddrGroup + "' not defined"};
    }
    sp.laddrGroupId = it->second;
  }
  sp.clientAddressToa = vs.clientAddressToa && vs.mode == ForwardMode::kFullNat;
  if (vs.mode == ForwardMode::kDr || vs.mode == ForwardMode::kTun || sp.clientAddressToa) {
    const std::string what =
        sp.clientAddressToa ? "client_address toa" : std::string(forwardModeName(vs.mode));
    if (!selectorMarks(sp).empty()) {
      return Error{vs.where.str() + ": " + what + " virtual_server " + sp.key.str() +
                   ": a packet mark cannot exist at ingress, where " + what + " works"};
    }
    for (const auto& member : selectorAddresses(sp)) {
      auto device = ingressDeviceFor(config, member.vip);
      if (!sp.ingressDevice.empty() && device != sp.ingressDevice) {
        return Error{vs.where.str() + ": " + what + " virtual_server " + sp.key.str() + ": VIP " +
                     member.vip.str() + " arrives on " + (device.empty() ? "no device" : device) +
                     ", the others on " + sp.ingressDevice + " (the reals sit behind one device)"};
      }
      sp.ingressDevice = device;
    }
    if (sp.ingressDevice.empty()) {
      return Error{vs.where.str() + ": " + what + " virtual_server " + sp.key.str() +
                   ": VIP not held by any static_ipaddress entry or vrrp_instance, cannot pick the "
                   "ingress device"};
    }
    if (!sp.clientAddressToa && sp.pick != SlotPick::kFlowHash) {
      return Error{vs.where.str() + ": " + what + " needs a flow-hash scheduler (sh or mh), got " +
                   vs.scheduler};
    }
  }
  if (sp.oneShot && sp.mode == ForwardMode::kFullNat) {
    return Error{vs.where.str() + ": ops on the FULLNAT virtual_server " + sp.key.str() +
                 ": without connection state a reply to the local address cannot find its client"};
  }
  if (sp.oneShot && sp.persistenceTimeoutSec != 0 && sp.mode == ForwardMode::kNat) {
    return Error{vs.where.str() + ": ops with persistence_timeout on " + sp.key.str() +
                 ": client affinity needs state that ops does not keep"};
  }
  return sp;
}

// An ops service's replies are recognised by the real's address and port alone (no conntrack
// entry): that real:port must serve no other NAT service, whose tracked replies it would catch.
Status checkOpsReals(const ForwardingPlan& plan) {
  std::map<std::pair<Protocol, Endpoint>, const ServicePlan*> owner;
  for (const auto& [id, sp] : plan.services) {
    if (sp.mode != ForwardMode::kNat) continue;
    for (const auto& real : sp.reals) {
      auto [it, first] = owner.emplace(std::pair{sp.key.protocol, real.endpoint}, &sp);
      if (first || !(sp.oneShot || it->second->oneShot)) continue;
      const ServicePlan& ops = sp.oneShot ? sp : *it->second;
      const ServicePlan& other = sp.oneShot ? *it->second : sp;
      return Error{
          ops.where.str() + ": ops virtual_server " + ops.key.str() + ": real " +
          real.endpoint.str() + " also serves " + other.key.str() + " (" + other.where.str() +
          "); the replies of an ops service are recognised by the real's address and port alone"};
    }
  }
  return okStatus();
}

}  // namespace

Result<ForwardingPlan> buildPlan(const PlanInputs& inputs) {
  const Config& config = *inputs.config;
  ForwardingPlan plan;
  plan.hashSeed = config.globals.hashSeed;
  plan.tableOwnership = config.globals.tableOwnership;

  auto groupIds = laddrGroupIds(config);
  for (const auto& [name, group] : config.laddrGroups) {
    plan.laddrGroups[groupIds[name]] = LaddrGroupPlan{groupIds[name], name, group.addresses};
  }

  for (const auto& vs : config.virtualServers) {
    auto idIt = inputs.serviceIds.find(serviceKeyOf(vs));
    if (idIt == inputs.serviceIds.end() || idIt->second == 0 || idIt->second > kMaxServiceId) {
      return Error{vs.where.str() + ": no service id assigned to " + serviceKeyOf(vs).str()};
    }
    auto sp = planService(vs, idIt->second, config, groupIds, inputs.health, inputs.loads);
    if (!sp) return Error{sp.error()};
    if (sp->mode == ForwardMode::kDr || usesBpfDatapath(*sp)) {
      auto ifIt = inputs.ifindexes.find(sp->ingressDevice);
      if (ifIt == inputs.ifindexes.end()) {
        return Error{vs.where.str() + ": " + std::string(forwardModeName(sp->mode)) + " device '" +
                     sp->ingressDevice + "' does not exist"};
      }
      auto& devices = sp->mode == ForwardMode::kDr ? plan.drDevices : plan.bpfDevices;
      devices[sp->ingressDevice] = ifIt->second;
    }
    plan.services[sp->id] = std::move(sp.value());
  }
  if (auto st = checkOpsReals(plan); !st) return Error{st.error()};
  return plan;
}

Result<ServicePlan> replanService(const Config& config, const HealthInputs* health,
                                  const ForwardingPlan& plan, const VirtualServerConfig& vs,
                                  uint32_t id, const ConnectionLoads* loads) {
  auto sp = planService(vs, id, config, laddrGroupIds(config), health, loads);
  if (!sp) return sp;
  const auto& devices = sp->mode == ForwardMode::kDr ? plan.drDevices : plan.bpfDevices;
  if ((sp->mode == ForwardMode::kDr || usesBpfDatapath(*sp)) &&
      devices.count(sp->ingressDevice) == 0) {
    return Error{vs.where.str() + ": " + std::string(forwardModeName(sp->mode)) + " device '" +
                 sp->ingressDevice + "' is not in the plan"};
  }
  return sp;
}

std::set<std::string> ingressDevicesOf(const Config& config) {
  std::set<std::string> devices;
  for (const auto& vs : config.virtualServers) {
    bool atIngress = vs.mode == ForwardMode::kDr || vs.mode == ForwardMode::kTun ||
                     (vs.clientAddressToa && vs.mode == ForwardMode::kFullNat);
    if (!atIngress) continue;
    std::vector<IpAddress> vips{vs.vip};
    if (auto group = config.serviceGroups.find(vs.group); group != config.serviceGroups.end()) {
      for (const auto& entry : group->second.addresses)
        for (uint32_t i = 0; i < entry.count; ++i) vips.push_back(entry.first.plus(i));
    }
    for (const auto& vip : vips) {
      if (auto device = ingressDeviceFor(config, vip); !device.empty()) devices.insert(device);
    }
  }
  return devices;
}

}  // namespace ha::director
