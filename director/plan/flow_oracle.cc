#include "director/plan/flow_oracle.h"

#include <algorithm>

#include "common/jhash.h"

namespace ha::director {
namespace {

// The registers the kernel hashes for `jhash saddr [. th sport]`: each field padded to 4 bytes
// with zeros (nft_payload clears the rest of a partly written register).
std::vector<uint8_t> flowHashInput(const FlowQuery& q, bool withPort) {
  std::vector<uint8_t> data(q.source.bytes(), q.source.bytes() + q.source.size());
  if (withPort) {
    data.push_back(static_cast<uint8_t>(q.sourcePort >> 8));
    data.push_back(static_cast<uint8_t>(q.sourcePort));
    data.push_back(0);
    data.push_back(0);
  }
  return data;
}

// IPVS (ip_vs_service_find) tries the packet's mark first, then protocol . VIP . port; the
// ruleset does the same (the mark's verdict map comes first in prerouting).
const ServicePlan* findService(const ForwardingPlan& plan, const FlowQuery& query) {
  const bool v6 = !query.vip.isV4();
  if (query.fwmark != 0) {
    for (const auto& [id, candidate] : plan.services) {
      if (candidate.key.vip.isV4() == v6) continue;
      auto marks = selectorMarks(candidate);
      if (std::find(marks.begin(), marks.end(), query.fwmark) != marks.end()) return &candidate;
    }
  }
  const ServiceKey wanted{query.protocol, query.vip, query.vipPort};
  for (const auto& [id, candidate] : plan.services) {
    if (candidate.key == wanted) return &candidate;
    if (candidate.key.group.empty() || candidate.key.protocol != query.protocol) continue;
    for (const auto& member : candidate.groupAddresses) {
      if (member.address == query.vip && member.port == query.vipPort) return &candidate;
    }
  }
  return nullptr;
}

// A real with port 0 (fwmark services) receives the packet's own destination port.
Endpoint withPacketPort(Endpoint real, const FlowQuery& query) {
  if (real.port == 0) real.port = query.vipPort;
  return real;
}

}  // namespace

FlowAnswer lookupFlow(const ForwardingPlan& plan, const FlowQuery& query) {
  FlowAnswer answer;
  const ServicePlan* sp = findService(plan, query);
  if (sp == nullptr) {
    answer.explanation =
        "no virtual service at " + ServiceKey{query.protocol, query.vip, query.vipPort}.str();
    if (query.fwmark != 0) answer.explanation += " nor for fwmark " + std::to_string(query.fwmark);
    return answer;
  }
  answer.service = sp->key;
  answer.scheduler = sp->scheduler;
  if (sp->slots.empty()) {
    answer.deterministic = true;
    answer.explanation = "no real in rotation: the flow is dropped";
    return answer;
  }
  if (query.source.family() != sp->key.vip.family()) {
    answer.explanation = "source and VIP are of different address families";
    return answer;
  }
  auto modulus = static_cast<uint32_t>(sp->slots.size());
  if (sp->pick == SlotPick::kFlowHash) {
    auto data = flowHashInput(query, sp->hashPort);
    answer.deterministic = true;
    answer.slot = nftJhashBucket(data.data(), data.size(), plan.hashSeed, modulus);
    answer.real = withPacketPort(sp->slots[answer.slot], query);
    answer.explanation =
        sp->scheduler + " slot " + std::to_string(answer.slot) + " of " + std::to_string(modulus);
  } else if (sp->nextPick) {
    // Connection-count schedulers: the table holds IPVS's next picks from the live counts.
    answer.real = withPacketPort(*sp->nextPick, query);
    for (const auto& slot : sp->slots) answer.candidates.push_back(withPacketPort(slot, query));
    const PlannedReal* next = nullptr;
    for (const auto& r : sp->reals) {
      if (r.endpoint == *sp->nextPick) next = &r;
    }
    answer.explanation = sp->scheduler + ": the next connection goes to " + answer.real->str();
    if (next != nullptr) {
      answer.explanation += " (" + std::to_string(next->activeConns) + " active, " +
                            std::to_string(next->inactiveConns) + " inactive, weight " +
                            std::to_string(next->weight) + ")";
    }
    answer.explanation +=
        "; " + std::to_string(modulus) + " slots steered from the live connection counts";
  } else {
    for (const auto& slot : sp->slots) answer.candidates.push_back(withPacketPort(slot, query));
    answer.explanation = sp->scheduler + " rotation over " + std::to_string(modulus) +
                         " slots; the kernel's counter decides";
  }
  if (sp->persistenceTimeoutSec != 0) {
    answer.explanation += "; a client seen in the last " +
                          std::to_string(sp->persistenceTimeoutSec) + " s keeps its earlier real";
  }
  return answer;
}

}  // namespace ha::director
