// DR in `table netdev directord`: the real is picked on ingress, before conntrack and before the
// director's IP stack, so it must be a pure function of the packet (flow hash, never numgen), and
// the packet leaves unchanged through neighbour output to the real (`fwd ip to REAL device DEV`).
#include "director/nft/names.h"
#include "director/nft/render.h"
#include "director/nft/rule_builder.h"

namespace ha::director::nft {

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
  backends.keyLen = 8;
  backends.keyType = (19u << 6) | 19u;  // mark . mark
  backends.dataLen = 8;
  backends.dataType = (7u << 6) | 19u;  // ipv4_addr . mark: nft 1.0.6 aborts listing an ifindex concat
  t.sets[backends.name] = backends;
  SetDef stats;
  stats.name = std::string(kDrStats4);
  stats.dynamic = true;
  stats.counterPerElement = true;
  stats.keyLen = 8;
  stats.keyType = (19u << 6) | 19u;  // mark . slot
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

  for (const auto& [id, sp] : plan.services) {
    if (sp.mode != ForwardMode::kDr) continue;
    ChainDef c;
    c.name = drServiceChain(id);
    Bytes mark = KeyBuilder().hostU32(serviceMark(id)).take();
    if (!sp.slots.empty()) {
      auto modulus = static_cast<uint32_t>(sp.slots.size());
      // k0 . k1 = mark . slot -> k4 . k5 = real . ifindex. Counters are per slot (nft 1.0.6 cannot
      // list a key built from a lookup result); the snapshot folds slots into reals.
      c.rules.push_back(RuleBuilder()
                            .flowHash(false, sp.hashPort, plan.hashSeed, modulus, Reg::k1, Reg::k2)
                            .immediate(Reg::k0, mark)
                            .expr(Lookup{std::string(kDrBackends4), Reg::k0, Reg::k4})
                            .expr(Dynset{Dynset::Op::kUpdate, std::string(kDrStats4), Reg::k0, std::nullopt, 0, true})
                            .expr(Counter{})
                            .expr(Fwd{Reg::k5, Reg::k4, false})
                            .comment(sp.key.str() + " DR " + sp.scheduler + " (" + sp.where.str() + ")")
                            .take());
    }
    c.rules.push_back(RuleBuilder().verdict(Verdict{Verdict::Code::kDrop, {}}).comment("no real in rotation").take());
    t.chains[c.name] = c;
    t.elements[services.name][serviceKey(sp.key)] = Verdict{Verdict::Code::kGoto, c.name};
    uint32_t ifindex = plan.drDevices.at(sp.drDevice);
    for (uint32_t slot = 0; slot < sp.slots.size(); ++slot) {
      const auto& real = sp.slots[slot].address;
      t.elements[backends.name][backendKey(id, slot)] =
          KeyBuilder().raw(real.bytes(), real.size()).hostU32(ifindex).take();
    }
  }
  return t;
}

}  // namespace ha::director::nft
