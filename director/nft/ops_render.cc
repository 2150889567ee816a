// ops (one-packet scheduling, IPVS's IP_VS_SVC_F_ONEPACKET) for UDP NAT services, stateless:
//   ops_raw      filter prerouting, priority raw (-300), before conntrack:
//                  l4proto . daddr . dport vmap @ops_services4 -> goto ops4_<rot|hash><N>:
//                  mark by service, slot -> real from @backends4, rewrite daddr and dport
//                  (IP and UDP checksums fixed incrementally), notrack
//                  a reply from an ops real (l4proto . saddr . sport in @ops_replies4): notrack
//   ops_forward  filter forward: the reply's saddr . sport := the service's VIP . port
// Every datagram is scheduled on its own and no conntrack entry exists in either direction. The
// reply's source is rewritten after routing: in prerouting a source that is our own VIP is a
// martian (fib_validate_source) and the datagram would be dropped.
#include "director/nft/ops_render.h"

#include <linux/netfilter.h>

#include "director/nft/names.h"
#include "director/nft/rule_builder.h"

namespace ha::director::nft {
namespace {

constexpr uint32_t kTypeVerdict = 1, kTypeIpAddr = 7, kTypeIp6Addr = 8, kTypeInetProto = 12,
                   kTypeInetService = 13;
constexpr uint32_t concat3(uint32_t a, uint32_t b, uint32_t c) { return (((a << 6) | b) << 6) | c; }
constexpr uint32_t concat2(uint32_t a, uint32_t b) { return (a << 6) | b; }
constexpr uint32_t kIpv4ChecksumOffset = 10;  // struct iphdr: check

uint32_t addrLen(bool v6) { return v6 ? 16 : 4; }
uint32_t addrType(bool v6) { return v6 ? kTypeIp6Addr : kTypeIpAddr; }

// Rewrites an address at network-header `offset` from `sreg`: the IPv4 header checksum and the
// UDP checksum (pseudo-header) follow; a UDP checksum of 0 (none) stays 0.
PayloadWrite addressWrite(bool v6, uint32_t offset, Reg sreg) {
  return PayloadWrite{PayloadBase::kNetwork,        offset, addrLen(v6), sreg, !v6,
                      v6 ? 0 : kIpv4ChecksumOffset, true};
}
PayloadWrite portWrite(uint32_t offset, Reg sreg) {
  return PayloadWrite{PayloadBase::kTransport, offset, 2, sreg, false, 0, true};
}

// l4proto . saddr . sport from k0 on: the key of ops_replies.
RuleBuilder& replyKey(RuleBuilder& b, bool v6) {
  b.nfproto(v6);
  b.expr(MetaLoad{MetaKey::kL4proto, Reg::k0});
  b.sourceAddr(v6, Reg::k1);
  return b.expr(PayloadLoad{PayloadBase::kTransport, 0, 2, regPlus(Reg::k1, addrLen(v6) / 4)});
}

}  // namespace

bool planHasOps(const ForwardingPlan& plan) {
  for (const auto& [id, sp] : plan.services) {
    if (sp.oneShot && sp.mode == ForwardMode::kNat) return true;
  }
  return false;
}

void addOpsBase(TableState& t) {
  for (bool v6 : {false, true}) {
    uint32_t al = addrLen(v6);
    SetDef services;
    services.name = byFamily(kOpsServices, v6);
    services.map = services.verdictMap = true;
    services.keyType = concat3(kTypeInetProto, addrType(v6), kTypeInetService);
    services.keyLen = 8 + al;
    services.dataType = kTypeVerdict;
    t.sets[services.name] = services;
    t.elements[services.name];
    SetDef replies;
    replies.name = byFamily(kOpsReplies, v6);
    replies.map = true;
    replies.keyType = services.keyType;
    replies.keyLen = 8 + al;
    replies.dataType = concat2(addrType(v6), kTypeInetService);
    replies.dataLen = al + 4;
    t.sets[replies.name] = replies;
    t.elements[replies.name];
  }
  ChainDef raw;
  raw.name = std::string(kOpsRawChain);
  raw.hook = BaseHook{BaseHook::Hook::kPrerouting, kRawPriority, "filter", {}};
  ChainDef forward;
  forward.name = std::string(kOpsForwardChain);
  forward.hook = BaseHook{BaseHook::Hook::kForward, kForwardPriority, "filter", {}};
  for (bool v6 : {false, true}) {
    uint32_t al = addrLen(v6);
    raw.rules.push_back(RuleBuilder()
                            .nfproto(v6)
                            .l4protoDaddrDport(v6, Reg::k0)
                            .lookupVerdict(byFamily(kOpsServices, v6), Reg::k0)
                            .comment(v6 ? "IPv6 ops services" : "IPv4 ops services")
                            .take());
    RuleBuilder untracked;
    raw.rules.push_back(replyKey(untracked, v6)
                            .expr(Lookup{byFamily(kOpsReplies, v6), Reg::k0, std::nullopt})
                            .expr(Notrack{})
                            .comment("ops: replies of the reals are not tracked either")
                            .take());
    Reg vip = regPlus(Reg::k1, al / 4 + 1);
    RuleBuilder reply;
    forward.rules.push_back(replyKey(reply, v6)
                                .expr(Lookup{byFamily(kOpsReplies, v6), Reg::k0, vip})
                                .expr(addressWrite(v6, v6 ? 8 : 12, vip))
                                .expr(portWrite(0, regPlus(vip, al / 4)))
                                .comment("ops: the reply leaves from the VIP")
                                .take());
  }
  t.chains[raw.name] = raw;
  t.chains[forward.name] = forward;
}

ChainDef opsClassChain(const std::string& name, bool v6, SlotPick pick, uint32_t modulus,
                       bool hashPort, uint32_t seed) {
  uint32_t al = addrLen(v6);
  Reg mark = regPlus(Reg::k1, al / 4 + 1);  // after l4proto . daddr . dport
  Reg slot = regPlus(mark, 1);
  Reg real = regPlus(slot, 1);
  RuleBuilder b;
  b.l4protoDaddrDport(v6, Reg::k0).expr(Lookup{byFamily(kMarks, v6), Reg::k0, mark});
  if (pick == SlotPick::kRotation) {
    b.expr(NumgenInc{slot, modulus});
  } else {
    b.flowHash(v6, hashPort, seed, modulus, slot, real);
  }
  b.expr(Lookup{byFamily(kBackends, v6), mark, real})
      .expr(addressWrite(v6, v6 ? 24 : 16, real))
      .expr(portWrite(2, regPlus(real, al / 4)))
      .expr(Notrack{});
  ChainDef c;
  c.name = name;
  c.rules.push_back(b.comment("ops: this datagram's real, no conntrack entry").take());
  return c;
}

void addOpsServiceElements(TableState& t, const ServicePlan& sp,
                           const std::optional<std::string>& chain) {
  bool v6 = !sp.key.vip.isV4();
  Verdict target =
      chain ? Verdict{Verdict::Code::kGoto, *chain} : Verdict{Verdict::Code::kDrop, {}};
  t.elements[byFamily(kOpsServices, v6)][serviceKey(sp.key)] = target;
  t.elements[byFamily(kMarks, v6)][serviceKey(sp.key)] =
      KeyBuilder().hostU32(serviceMark(sp.id)).take();
  auto& backends = t.elements[byFamily(kBackends, v6)];
  for (uint32_t slot = 0; slot < sp.slots.size(); ++slot)
    backends[backendKey(sp.id, slot)] = endpointData(sp.slots[slot]);
  // Every configured real, in rotation or not: a drained real's late replies still leave right.
  auto& replies = t.elements[byFamily(kOpsReplies, v6)];
  for (const auto& real : sp.reals) {
    replies[serviceKey(ServiceKey{sp.key.protocol, real.endpoint.address, real.endpoint.port})] =
        endpointData(Endpoint{sp.key.vip, sp.key.port});
  }
}

}  // namespace ha::director::nft
