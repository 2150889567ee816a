#pragma once
// "Which real does this new flow reach?" answered from the plan alone: for flow-hash schedulers
// the exact real (the kernel's jhash recomputed), for rotation the reals in rotation order.
// Tests assert outcomes with it; `directorctl lookup` exposes it.
#include <optional>
#include <string>
#include <vector>

#include "director/plan/forwarding_plan.h"

namespace ha::director {

struct FlowQuery {
  Protocol protocol = Protocol::kTcp;
  IpAddress source;
  uint16_t sourcePort = 0;
  IpAddress vip;
  uint16_t vipPort = 0;
  uint32_t fwmark = 0;  // the packet's mark (meta mark) as the operator's rules set it; 0 = none
};

struct FlowAnswer {
  std::optional<ServiceKey> service;  // empty: no service owns the mark or VIP:port
  bool deterministic = false;
  std::optional<Endpoint> real;   // flow hash: the real; empty if the service has no live real
  uint32_t slot = 0;
  std::vector<Endpoint> candidates;  // rotation: slot order
  std::string explanation;
  std::string scheduler;  // the matched service's
};

FlowAnswer lookupFlow(const ForwardingPlan& plan, const FlowQuery& query);

}  // namespace ha::director
