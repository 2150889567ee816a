// DR in `table netdev directord`: the real is picked on ingress, before conntrack and before the
// director's IP stack, so it must be a pure function of the packet (flow hash, never numgen), and
// the packet leaves unchanged through neighbour output to the real (`fwd ip to REAL device DEV`).
#include <set>
#include <utility>

#include "director/nft/names.h"
#include "director/nft/render.h"
#include "director/nft/rule_builder.h"

namespace ha::director::nft {

namespace {

// l4proto . vip . vport . slot -> real . ifindex: the packet itself names its service, so the
// shared chain needs no mark, and the map is bound once per class, not once per service.
ChainDef drClassChainDef(uint32_t modulus, bool hashPort, uint32_t seed) {
  ChainDef c;
  c.name = drClassChain(modulus, hashPort);
  c.rules.push_back(RuleBuilder()
                        .l4protoDaddrDport(false, Reg::k0)
                        .flowHash(false, hashPort, seed, modulus, Reg::k3, Reg::k4)
                        .expr(Lookup{std::string(kDrBackends4), Reg::k0, Reg::k8})
                        .expr(Dynset{Dynset::Op::kUpdate, std::string(kDrStats4), Reg::k0, std::nullopt, 0, true})
                        .expr(Fwd{Reg::k9, Reg::k8, false})
                        .comment("slot -> real, out through neighbour output")
                        .take());
  c.rules.push_back(RuleBuilder().verdict(Verdict{Verdict::Code::kDrop, {}}).comment("slot without a real").take());
  return c;
}

}  // namespace

void addDrServiceObjects(TableState& t, const ServicePlan& sp, const ForwardingPlan& plan) {
  auto modulus = static_cast<uint32_t>(sp.slots.size());
  Verdict target{Verdict::Code::kDrop, {}};  // no real in rotation
  if (modulus != 0) {
    auto chain = drClassChainDef(modulus, sp.hashPort, plan.hashSeed);
    target = Verdict{Verdict::Code::kGoto, chain.name};
    t.chains[chain.name] = chain;
  }
  uint32_t ifindex = plan.drDevices.at(sp.ingressDevice);
  auto& backends = t.elements[std::string(kDrBackends4)];
  // No conntrack, so no mark: each VIP:port of a group carries its own copy of the slot table.
  for (const auto& key : selectorAddresses(sp)) {
    t.elements[std::string(kDrServices4)][serviceKey(key)] = target;
    for (uint32_t slot = 0; slot < modulus; ++slot) {
      const auto& real = sp.slots[slot].address;
      backends[drBackendKey(key, slot)] =
          KeyBuilder().raw(real.bytes(), real.size()).hostU32(ifindex).take();
    }
  }
}

TableState renderNetdev(const ForwardingPlan& plan) {
  TableState t;
  SetDef services;
  services.name = std::string(kDrServices4);
  services.map = services.verdictMap = true;
  services.keyLen = 12;
  services.keyType = ((12u << 6 | 7u) << 6) | 13u;  // inet_proto . ipv4_addr . inet_service
  services.dataType = 1;
  t.sets[services.name] = services;
  SetDef backends;
  backends.name = std::string(kDrBackends4);
  backends.map = true;
  backends.keyLen = 16;
  backends.keyType = (((12u << 6 | 7u) << 6 | 13u) << 6) | 19u;  // inet_proto . ipv4_addr . inet_service . slot
  backends.dataLen = 8;
  backends.dataType = (7u << 6) | 19u;  // ipv4_addr . mark: nft 1.0.6 aborts listing an ifindex concat
  t.sets[backends.name] = backends;
  SetDef stats;
  stats.name = std::string(kDrStats4);
  stats.dynamic = true;
  stats.counterPerElement = true;
  stats.keyLen = 16;
  stats.keyType = backends.keyType;
  stats.size = 1u << 16;
  t.sets[stats.name] = stats;
  t.elements[services.name];
  t.elements[backends.name];

  for (const auto& [device, ifindex] : plan.drDevices) {
    ChainDef ingress;
    ingress.name = drIngressChain(device);
    ingress.hook = BaseHook{BaseHook::Hook::kIngress, kIngressPriority, "filter", device};
    ingress.rules.push_back(RuleBuilder()
                                .expr(MetaLoad{MetaKey::kProtocol, Reg::k0})
                                .expr(Cmp{CmpOp::kEq, Reg::k0, {0x08, 0x00}})  // ETH_P_IP
                                .l4protoDaddrDport(false, Reg::k0)
                                .lookupVerdict(std::string(kDrServices4), Reg::k0)
                                .comment("DR virtual services arriving on " + device)
                                .take());
    t.chains[ingress.name] = ingress;
  }

  return t;
}

}  // namespace ha::director::nft
