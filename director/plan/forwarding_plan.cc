#include "director/plan/forwarding_plan.h"

#include <algorithm>
#include <set>

#include "common/flow_mark.h"
#include "director/sched/maglev.h"

namespace ha::director {

std::string ServiceKey::str() const {
  return std::string(protocolName(protocol)) + " " + formatEndpoint(vip, port);
}

ServiceKey serviceKeyOf(const VirtualServerConfig& vs) { return {vs.protocol, vs.vip, vs.port}; }

bool wantsFtpHelper(const VirtualServerConfig& vs) {
  bool rewrites = vs.mode == ForwardMode::kNat || vs.mode == ForwardMode::kFullNat;
  return rewrites && vs.protocol == Protocol::kTcp &&
         vs.ftpHelper.value_or(vs.port == kFtpControlPort);
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

std::string drDeviceFor(const Config& config, const IpAddress& vip) {
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

Result<ServicePlan> planService(const VirtualServerConfig& vs, uint32_t id, const Config& config,
                                const std::map<std::string, uint32_t>& groupIds, const HealthInputs* health) {
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
  sp.where = vs.where;
  sp.ftpHelper = wantsFtpHelper(vs);

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
  if (vs.mode == ForwardMode::kDr) {
    sp.drDevice = drDeviceFor(config, vs.vip);
    if (sp.drDevice.empty()) {
      return Error{vs.where.str() + ": DR virtual_server " + sp.key.str() +
                   ": VIP not held by any static_ipaddress entry or vrrp_instance, cannot pick the ingress device"};
    }
    if (sp.pick != SlotPick::kFlowHash) {
      return Error{vs.where.str() + ": DR needs a flow-hash scheduler (sh or mh), got " + vs.scheduler};
    }
  }
  if (vs.mode == ForwardMode::kTun) {
    return Error{vs.where.str() + ": lb_kind TUN not supported yet"};
  }
  return sp;
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
    auto sp = planService(vs, idIt->second, config, groupIds, inputs.health);
    if (!sp) return Error{sp.error()};
    if (sp->mode == ForwardMode::kDr && plan.drDevices.count(sp->drDevice) == 0) {
      auto ifIt = inputs.ifindexes.find(sp->drDevice);
      if (ifIt == inputs.ifindexes.end()) {
        return Error{vs.where.str() + ": DR device '" + sp->drDevice + "' does not exist"};
      }
      plan.drDevices[sp->drDevice] = ifIt->second;
    }
    plan.services[sp->id] = std::move(sp.value());
  }
  return plan;
}

Result<ServicePlan> replanService(const Config& config, const HealthInputs* health, const ForwardingPlan& plan,
                                  const VirtualServerConfig& vs, uint32_t id) {
  auto sp = planService(vs, id, config, laddrGroupIds(config), health);
  if (sp && sp->mode == ForwardMode::kDr && plan.drDevices.count(sp->drDevice) == 0) {
    return Error{vs.where.str() + ": DR device '" + sp->drDevice + "' is not in the plan"};
  }
  return sp;
}

}  // namespace ha::director
