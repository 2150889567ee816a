#include "director/nft/render.h"

#include <linux/netfilter.h>

#include <algorithm>
#include <set>

#include "director/nft/names.h"
#include "director/nft/rule_builder.h"

namespace ha::director::nft {
namespace {

// nft userspace datatype ids, for `nft list` to print keys (the kernel ignores them).
constexpr uint32_t kTypeVerdict = 1, kTypeIpAddr = 7, kTypeIp6Addr = 8, kTypeInetProto = 12,
                   kTypeInetService = 13, kTypeMark = 19;
constexpr uint32_t concat(std::initializer_list<uint32_t> types) {
  uint32_t t = 0;
  for (uint32_t part : types) t = (t << 6) | part;
  return t;
}

constexpr uint32_t kPersistSize = 1u << 20;

uint32_t addrLen(bool v6) { return v6 ? 16 : 4; }
uint32_t addrType(bool v6) { return v6 ? kTypeIp6Addr : kTypeIpAddr; }
std::string fam(std::string_view base, bool v6) { return byFamily(base, v6); }

SetDef verdictMap(std::string name, uint32_t keyType, uint32_t keyLen) {
  SetDef s;
  s.name = std::move(name);
  s.map = s.verdictMap = true;
  s.keyType = keyType;
  s.keyLen = keyLen;
  s.dataType = kTypeVerdict;
  return s;
}

SetDef dataMap(std::string name, uint32_t keyType, uint32_t keyLen, uint32_t dataType, uint32_t dataLen) {
  SetDef s;
  s.name = std::move(name);
  s.map = true;
  s.keyType = keyType;
  s.keyLen = keyLen;
  s.dataType = dataType;
  s.dataLen = dataLen;
  return s;
}

void addInetSets(TableState& t) {
  for (bool v6 : {false, true}) {
    uint32_t al = addrLen(v6), at = addrType(v6);
    auto svc = verdictMap(fam(kServices, v6), concat({kTypeInetProto, at, kTypeInetService}), 8 + al);
    t.sets[svc.name] = svc;
    auto marks = dataMap(fam(kMarks, v6), concat({kTypeInetProto, at, kTypeInetService}), 8 + al, kTypeMark, 4);
    t.sets[marks.name] = marks;
    auto be = dataMap(fam(kBackends, v6), concat({kTypeMark, kTypeMark}), 8,
                      concat({at, kTypeInetService}), al + 4);
    t.sets[be.name] = be;
    auto persist = dataMap(fam(kPersist, v6), concat({at, kTypeMark}), al + 4,
                           concat({at, kTypeInetService}), al + 4);
    persist.dynamic = persist.timeout = true;
    persist.size = kPersistSize;
    t.sets[persist.name] = persist;
    auto laddrs = dataMap(fam(kLaddrs, v6), concat({kTypeMark, kTypeMark}), 8, at, al);
    t.sets[laddrs.name] = laddrs;
  }
  auto fullnat = verdictMap(std::string(kFullnat), kTypeMark, 4);
  t.sets[fullnat.name] = fullnat;
}

ChainDef baseChain(std::string_view name, BaseHook::Hook hook, int32_t priority, std::string type,
                   std::string device = {}) {
  ChainDef c;
  c.name = std::string(name);
  c.hook = BaseHook{hook, priority, std::move(type), std::move(device)};
  return c;
}

void addInetBaseChains(TableState& t) {
  auto pre = baseChain(kPreroutingChain, BaseHook::Hook::kPrerouting, kPreroutingPriority, "nat");
  for (bool v6 : {false, true}) {
    pre.rules.push_back(RuleBuilder()
                            .nfproto(v6)
                            .l4protoDaddrDport(v6, Reg::k0)
                            .lookupVerdict(fam(kServices, v6), Reg::k0)
                            .comment(v6 ? "IPv6 virtual services" : "IPv4 virtual services")
                            .take());
  }
  t.chains[pre.name] = pre;

  auto post = baseChain(kPostroutingChain, BaseHook::Hook::kPostrouting, kPostroutingPriority, "nat");
  post.rules.push_back(RuleBuilder()
                           .load(CtLoad{CtKey::kMark, std::nullopt, Reg::k0})
                           .lookupVerdict(std::string(kFullnat), Reg::k0)
                           .comment("FULLNAT: source NAT to the service's local addresses")
                           .take());
  t.chains[post.name] = post;
}

// Every service of one class shares one dnat chain, so the big maps are bound by a handful of
// rules. The kernel validates each element added to a map against every rule that looks it up:
// one lookup per service made 10k services a 30 s apply.
std::string inetClassChain(const ServiceClass& cls) {
  std::string n = byFamily("dnat", cls.v6) + (cls.pick == SlotPick::kRotation ? "_rot" : "_hash") +
                  std::to_string(cls.modulus);
  if (cls.hashPort) n += "_port";
  if (cls.persistenceSec != 0) n += "_persist" + std::to_string(cls.persistenceSec);
  if (cls.ftpHelper) n += "_ftp";
  return n;
}

// dnat<4|6>_<rot|hash><N>[_port][_persist<T>][_ftp]: mark the flow as ours (ct mark = tag |
// service id, looked up by the packet's service key), [the FTP helper], persistence, then slot ->
// real by that mark.
// Rotation counters are per class chain: services of one class share one numgen counter.
ChainDef classChain(const ServiceClass& cls, uint32_t seed) {
  bool v6 = cls.v6;
  uint32_t al = addrLen(v6);
  ChainDef c;
  c.name = inetClassChain(cls);
  Reg markReg = regPlus(Reg::k1, al / 4 + 1);
  c.rules.push_back(RuleBuilder()
                        .l4protoDaddrDport(v6, Reg::k0)
                        .expr(Lookup{fam(kMarks, v6), Reg::k0, markReg})
                        .expr(CtSetMark{markReg})
                        .comment("mark the flow with its service")
                        .take());
  if (cls.ftpHelper) {
    // Before any dnat: NAT adds the sequence-adjust extension nf_nat_ftp needs only to a flow
    // that already has its helper. Expected data flows inherit this flow's mark and get their
    // NAT from nf_nat_ftp, so they never pass these chains.
    c.rules.push_back(RuleBuilder()
                          .expr(CtHelperSet{std::string(kFtpHelper)})
                          .comment("FTP: the kernel's helper follows PORT/PASV")
                          .take());
  }
  Reg addr = Reg::k2, port = regPlus(Reg::k2, al / 4);
  Reg persistKey = Reg::k8;  // above every register the scheduling rule uses
  uint64_t persistMs = uint64_t{cls.persistenceSec} * 1000;
  if (cls.persistenceSec != 0) {
    c.rules.push_back(RuleBuilder()
                          .sourceAddr(v6, persistKey)
                          .load(CtLoad{CtKey::kMark, std::nullopt, regPlus(persistKey, al / 4)})
                          .expr(Lookup{fam(kPersist, v6), persistKey, addr})
                          .expr(Dynset{Dynset::Op::kUpdate, fam(kPersist, v6), persistKey, addr, persistMs, false})
                          .expr(Nat{Nat::Type::kDnat, v6, addr, std::nullopt, port})
                          .comment("persistence: a known client keeps its real")
                          .take());
  }
  RuleBuilder b;
  b.load(CtLoad{CtKey::kMark, std::nullopt, Reg::k0});
  if (cls.pick == SlotPick::kRotation) {
    b.expr(NumgenInc{Reg::k1, cls.modulus});
  } else {
    b.flowHash(v6, cls.hashPort, seed, cls.modulus, Reg::k1, Reg::k2);
  }
  b.expr(Lookup{fam(kBackends, v6), Reg::k0, addr});
  if (cls.persistenceSec != 0) {
    b.sourceAddr(v6, persistKey).load(CtLoad{CtKey::kMark, std::nullopt, regPlus(persistKey, al / 4)});
    b.expr(Dynset{Dynset::Op::kAdd, fam(kPersist, v6), persistKey, addr, persistMs, false});
  }
  b.expr(Nat{Nat::Type::kDnat, v6, addr, std::nullopt, port});
  c.rules.push_back(b.comment("slot -> real").take());
  c.rules.push_back(RuleBuilder().verdict(Verdict{Verdict::Code::kDrop, {}}).comment("slot without a real").take());
  return c;
}

ChainDef laddrChain(const LaddrGroupPlan& group, uint32_t seed) {
  bool v6 = !group.addresses.front().isV4();
  ChainDef c;
  c.name = nft::laddrChain(group.id);
  auto k = static_cast<uint32_t>(group.addresses.size());
  c.rules.push_back(RuleBuilder()
                        .flowHash(v6, true, seed, k, Reg::k1, Reg::k2)
                        .immediate(Reg::k0, KeyBuilder().hostU32(group.id).take())
                        .expr(Lookup{fam(kLaddrs, v6), Reg::k0, Reg::k2})
                        .expr(Nat{Nat::Type::kSnat, v6, Reg::k2, std::nullopt, std::nullopt})
                        .comment("local_address_group " + group.name)
                        .take());
  return c;
}

void addServiceElements(TableState& t, const ServicePlan& sp) {
  bool v6 = !sp.key.vip.isV4();
  auto cls = serviceClassOf(sp);
  Verdict target = cls ? Verdict{Verdict::Code::kGoto, inetClassChain(*cls)}
                       : Verdict{Verdict::Code::kDrop, {}};  // no real in rotation
  t.elements[fam(kServices, v6)][serviceKey(sp.key)] = target;
  t.elements[fam(kMarks, v6)][serviceKey(sp.key)] = KeyBuilder().hostU32(serviceMark(sp.id)).take();
  auto& backends = t.elements[fam(kBackends, v6)];
  for (uint32_t slot = 0; slot < sp.slots.size(); ++slot) {
    backends[backendKey(sp.id, slot)] = endpointData(sp.slots[slot]);
  }
  if (sp.laddrGroupId) {
    t.elements[std::string(kFullnat)][KeyBuilder().hostU32(serviceMark(sp.id)).take()] =
        Verdict{Verdict::Code::kGoto, nft::laddrChain(*sp.laddrGroupId)};
  }
}

}  // namespace

std::optional<ServiceClass> serviceClassOf(const ServicePlan& sp) {
  if (sp.slots.empty()) return std::nullopt;
  ServiceClass cls;
  cls.modulus = static_cast<uint32_t>(sp.slots.size());
  if (sp.mode == ForwardMode::kDr) {  // before conntrack: a pure function of the packet
    cls.dr = true;
    cls.pick = SlotPick::kFlowHash;
    cls.hashPort = sp.hashPort;
    return cls;
  }
  cls.v6 = !sp.key.vip.isV4();
  cls.pick = sp.pick;
  cls.hashPort = sp.pick == SlotPick::kFlowHash && sp.hashPort;
  cls.persistenceSec = sp.persistenceTimeoutSec;
  cls.ftpHelper = sp.ftpHelper;
  return cls;
}

ClassChain classChainOf(const ServiceClass& cls) {
  if (cls.dr) return {netdevTable(), drClassChain(cls.modulus, cls.hashPort)};
  return {inetTable(), inetClassChain(cls)};
}

void addDrServiceObjects(TableState& t, const ServicePlan& sp, const ForwardingPlan& plan);  // dr_render.cc

void renderService(NftState& out, const ServicePlan& sp, const ForwardingPlan& plan) {
  if (sp.mode == ForwardMode::kDr) {
    addDrServiceObjects(out.tables[netdevTable()], sp, plan);
    return;
  }
  TableState& t = out.tables[inetTable()];
  addServiceElements(t, sp);
  if (auto cls = serviceClassOf(sp)) {
    auto chain = classChain(*cls, plan.hashSeed);
    t.chains[chain.name] = std::move(chain);
  }
}

namespace {

TableState renderInet(const ForwardingPlan& plan) {
  TableState t;
  addInetSets(t);
  addInetBaseChains(t);
  for (const auto& [name, set] : t.sets) {
    if (!set.dynamic) t.elements[name];  // every owned set present, even when empty
  }
  for (const auto& [id, group] : plan.laddrGroups) {
    if (group.addresses.empty()) continue;
    auto chain = laddrChain(group, plan.hashSeed);
    t.chains[chain.name] = chain;
    bool v6 = !group.addresses.front().isV4();
    for (uint32_t i = 0; i < group.addresses.size(); ++i) {
      t.elements[fam(kLaddrs, v6)][KeyBuilder().hostU32(id).hostU32(i).take()] =
          KeyBuilder().raw(group.addresses[i].bytes(), group.addresses[i].size()).take();
    }
  }
  return t;
}

}  // namespace

TableId inetTable() { return {TableFamily::kInet, std::string(kTableName)}; }
TableId netdevTable() { return {TableFamily::kNetdev, std::string(kTableName)}; }

Bytes serviceKey(const ServiceKey& key) {
  return KeyBuilder()
      .u8(static_cast<uint8_t>(key.protocol))
      .raw(key.vip.bytes(), key.vip.size())
      .be16(key.port)
      .take();
}

Bytes backendKey(uint32_t serviceId, uint32_t slot) {
  return KeyBuilder().hostU32(serviceMark(serviceId)).hostU32(slot).take();
}

Bytes drBackendKey(const ServiceKey& key, uint32_t slot) {
  Bytes k = serviceKey(key);
  Bytes s = KeyBuilder().hostU32(slot).take();
  k.insert(k.end(), s.begin(), s.end());
  return k;
}

Bytes endpointData(const Endpoint& endpoint) {
  return KeyBuilder().raw(endpoint.address.bytes(), endpoint.address.size()).be16(endpoint.port).take();
}

TableState renderNetdev(const ForwardingPlan& plan);  // dr_render.cc

TableOwner tableOwner(TableOwnership ownership) {
  switch (ownership) {
    case TableOwnership::kNone: return TableOwner::kNone;
    case TableOwnership::kProcess: return TableOwner::kProcess;
    case TableOwnership::kPersistent: return TableOwner::kPersistent;
  }
  return TableOwner::kNone;
}

bool usesFtpHelper(const ForwardingPlan& plan) {
  return std::any_of(plan.services.begin(), plan.services.end(),
                     [](const auto& entry) { return entry.second.ftpHelper; });
}

void addFtpHelperObject(NftState& state) {
  state.tables[inetTable()].objects[std::string(kFtpHelper)] = CtHelperObject{"ftp", IPPROTO_TCP};
}

NftState render(const ForwardingPlan& plan) {
  NftState state;
  state.tables[inetTable()] = renderInet(plan);
  if (usesFtpHelper(plan)) addFtpHelperObject(state);
  if (!plan.drDevices.empty()) state.tables[netdevTable()] = renderNetdev(plan);
  for (const auto& [id, sp] : plan.services) renderService(state, sp, plan);
  for (auto& [id, table] : state.tables) table.owner = tableOwner(plan.tableOwnership);
  return state;
}

}  // namespace ha::director::nft
