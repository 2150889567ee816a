#pragma once
// Hand-built plans for render/diff tests, independent of the config parser and schedulers.
#include "director/plan/forwarding_plan.h"

namespace ha::director::testing {

inline IpAddress ip(const char* text) { return *IpAddress::parse(text); }

inline ServicePlan service(uint32_t id, Protocol proto, const char* vip, uint16_t port, ForwardMode mode,
                           const char* scheduler, SlotPick pick, std::vector<Endpoint> slots) {
  ServicePlan sp;
  sp.id = id;
  sp.key = {proto, ip(vip), port};
  sp.mode = mode;
  sp.scheduler = scheduler;
  sp.pick = pick;
  sp.slots = std::move(slots);
  for (const auto& e : sp.slots) {
    bool seen = false;
    for (const auto& r : sp.reals) seen = seen || r.endpoint == e;
    if (!seen) {
      PlannedReal real;
      real.endpoint = e;
      real.inRotation = true;
      real.where = {"test.conf", 1};
      sp.reals.push_back(real);
    }
  }
  sp.where = {"test.conf", static_cast<int>(id) * 10};
  return sp;
}

// FULLNAT wrr 2:1 with a local-address group, NAT persistent rr, IPv6 FULLNAT, DR sh.
inline ForwardingPlan samplePlan() {
  ForwardingPlan plan;
  plan.hashSeed = 0x1234abcd;
  plan.laddrGroups[1] = {1, "LAG4", {ip("198.51.100.200"), ip("198.51.100.201")}};
  plan.laddrGroups[2] = {2, "LAG6", {ip("fd00:1::200")}};
  Endpoint r1{ip("198.51.100.11"), 80}, r2{ip("198.51.100.12"), 80};
  auto fnat = service(1, Protocol::kTcp, "192.0.2.100", 80, ForwardMode::kFullNat, "wrr", SlotPick::kRotation,
                      {r1, r2, r1});
  fnat.laddrGroupId = 1;
  plan.services[1] = fnat;
  auto nat = service(2, Protocol::kUdp, "192.0.2.101", 53, ForwardMode::kNat, "rr", SlotPick::kRotation,
                     {{ip("198.51.100.11"), 53}, {ip("198.51.100.12"), 53}});
  nat.persistenceTimeoutSec = 300;
  plan.services[2] = nat;
  auto v6 = service(3, Protocol::kTcp, "fd00:2::100", 80, ForwardMode::kFullNat, "rr", SlotPick::kRotation,
                    {{ip("fd00:1::11"), 80}});
  v6.laddrGroupId = 2;
  plan.services[3] = v6;
  auto dr = service(4, Protocol::kTcp, "192.0.2.102", 80, ForwardMode::kDr, "sh", SlotPick::kFlowHash,
                    {r1, r2, r1, r2});
  dr.ingressDevice = "lan0";
  plan.services[4] = dr;
  plan.drDevices["lan0"] = 7;
  return plan;
}

}  // namespace ha::director::testing
