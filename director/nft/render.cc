#include "director/nft/render.h"

#include <libnftnl/object.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>
#include <set>

#include "director/nft/names.h"
#include "director/nft/ops_render.h"
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

std::string hexText(const Bytes& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (uint8_t b : bytes) {
    s += kHex[b >> 4];
    s += kHex[b & 0xf];
  }
  return s;
}

SetDef verdictMap(std::string name, uint32_t keyType, uint32_t keyLen) {
  SetDef s;
  s.name = std::move(name);
  s.map = s.verdictMap = true;
  s.keyType = keyType;
  s.keyLen = keyLen;
  s.dataType = kTypeVerdict;
  return s;
}

SetDef dataMap(std::string name, uint32_t keyType, uint32_t keyLen, uint32_t dataType,
               uint32_t dataLen) {
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
    auto svc =
        verdictMap(fam(kServices, v6), concat({kTypeInetProto, at, kTypeInetService}), 8 + al);
    t.sets[svc.name] = svc;
    auto marks = dataMap(fam(kMarks, v6), concat({kTypeInetProto, at, kTypeInetService}), 8 + al,
                         kTypeMark, 4);
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
    auto fwmarks = verdictMap(fam(kFwmarks, v6), concat({kTypeInetProto, kTypeMark}), 8);
    t.sets[fwmarks.name] = fwmarks;
    auto fwmarkMarks = dataMap(fam(kFwmarkMarks, v6), kTypeMark, 4, kTypeMark, 4);
    t.sets[fwmarkMarks.name] = fwmarkMarks;
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
    // IPVS's order (ip_vs_service_find): the packet's mark first, then its destination.
    pre.rules.push_back(RuleBuilder()
                            .nfproto(v6)
                            .expr(MetaLoad{MetaKey::kL4proto, Reg::k0})
                            .expr(MetaLoad{MetaKey::kMark, Reg::k1})
                            .lookupVerdict(fam(kFwmarks, v6), Reg::k0)
                            .comment(v6 ? "IPv6 fwmark services" : "IPv4 fwmark services")
                            .take());
    pre.rules.push_back(RuleBuilder()
                            .nfproto(v6)
                            .l4protoDaddrDport(v6, Reg::k0)
                            .lookupVerdict(fam(kServices, v6), Reg::k0)
                            .comment(v6 ? "IPv6 virtual services" : "IPv4 virtual services")
                            .take());
  }
  t.chains[pre.name] = pre;

  auto post =
      baseChain(kPostroutingChain, BaseHook::Hook::kPostrouting, kPostroutingPriority, "nat");
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
  std::string n = byFamily(cls.ops ? "ops" : "dnat", cls.v6) +
                  (cls.pick == SlotPick::kRotation ? "_rot" : "_hash") +
                  std::to_string(cls.modulus);
  if (cls.hashPort) n += "_port";
  if (cls.persistenceSec != 0) n += "_persist" + std::to_string(cls.persistenceSec);
  if (cls.byMark) n += cls.keepPort ? "_fwm_keepport" : "_fwm";
  if (!cls.persistMask.empty()) n += "_mask" + hexText(cls.persistMask);
  if (cls.ftpHelper) n += "_ftp";
  if (!cls.timeouts.isDefault()) {
    n += "_t" + std::to_string(cls.timeouts.tcpSec) + "_" + std::to_string(cls.timeouts.tcpFinSec) +
         "_" + std::to_string(cls.timeouts.udpSec);
  }
  return n;
}

// lvs_timeouts as conntrack policies. IPVS's tcp is ESTABLISHED; its tcpfin is FIN_WAIT, the
// half-closed state after the first FIN, which conntrack splits into fin_wait (until the FIN is
// acked) and close_wait (then): tcpfin covers both. The other states keep IPVS's fixed values
// (SYN_RECV 60, SYN_SENT/TIME_WAIT 120, LAST_ACK 30, CLOSE 10 s), which are conntrack's defaults
// too; they are written out so the namespace's sysctls do not leak into our flows.
ObjectDef tcpTimeouts(std::string name, const ConnTimeouts& t) {
  ObjectDef o{std::move(name),
              CtTimeoutObject{IPPROTO_TCP, std::vector<uint32_t>(NFTNL_CTTIMEOUT_TCP_MAX)}};
  auto& s = std::get<CtTimeoutObject>(o.body).seconds;
  s[NFTNL_CTTIMEOUT_TCP_SYN_SENT] = 120;
  s[NFTNL_CTTIMEOUT_TCP_SYN_RECV] = 60;
  s[NFTNL_CTTIMEOUT_TCP_ESTABLISHED] = t.tcpSec;
  s[NFTNL_CTTIMEOUT_TCP_FIN_WAIT] = t.tcpFinSec;
  s[NFTNL_CTTIMEOUT_TCP_CLOSE_WAIT] = t.tcpFinSec;
  s[NFTNL_CTTIMEOUT_TCP_LAST_ACK] = 30;
  s[NFTNL_CTTIMEOUT_TCP_TIME_WAIT] = 120;
  s[NFTNL_CTTIMEOUT_TCP_CLOSE] = 10;
  s[NFTNL_CTTIMEOUT_TCP_SYN_SENT2] = 120;
  // conntrack lowers a flow's timeout to these (never raises it) on retransmissions / unacked data.
  s[NFTNL_CTTIMEOUT_TCP_RETRANS] = 300;
  s[NFTNL_CTTIMEOUT_TCP_UNACK] = 300;
  return o;
}

// IPVS keeps one UDP timeout whatever the traffic; conntrack's unreplied and replied get it both.
ObjectDef udpTimeouts(std::string name, const ConnTimeouts& t) {
  return ObjectDef{std::move(name), CtTimeoutObject{IPPROTO_UDP, {t.udpSec, t.udpSec}}};
}

// dnat<4|6>_<rot|hash><N>[_port][_persist<T>][_fwm][_mask<M>][_ftp][_t<T>]: mark the flow as
// ours (ct mark = tag | service id, looked up by the packet's service key or mark), its timeouts,
// [the FTP helper], persistence, then slot -> real by that mark.
// Rotation counters are per class chain: services of one class share one numgen counter.
ChainDef classChain(const ServiceClass& cls, uint32_t seed) {
  bool v6 = cls.v6;
  uint32_t al = addrLen(v6);
  ChainDef c;
  c.name = inetClassChain(cls);
  Reg markReg = regPlus(Reg::k1, al / 4 + 1);
  if (cls.byMark) {
    c.rules.push_back(RuleBuilder()
                          .expr(MetaLoad{MetaKey::kMark, Reg::k0})
                          .expr(Lookup{fam(kFwmarkMarks, v6), Reg::k0, markReg})
                          .expr(CtSetMark{markReg})
                          .comment("mark the flow with the service of its packet mark")
                          .take());
  } else {
    c.rules.push_back(RuleBuilder()
                          .l4protoDaddrDport(v6, Reg::k0)
                          .expr(Lookup{fam(kMarks, v6), Reg::k0, markReg})
                          .expr(CtSetMark{markReg})
                          .comment("mark the flow with its service")
                          .take());
  }
  // The flow is not confirmed yet (nat chains see its first packet): the policy sticks to it.
  // Each object applies to its own protocol only.
  c.rules.push_back(RuleBuilder()
                        .expr(Objref{NFT_OBJECT_CT_TIMEOUT, ctTimeoutName(c.name, true)})
                        .expr(Objref{NFT_OBJECT_CT_TIMEOUT, ctTimeoutName(c.name, false)})
                        .comment("lvs_timeouts")
                        .take());
  if (cls.ftpHelper) {
    // Before any dnat: NAT adds the sequence-adjust extension nf_nat_ftp needs only to a flow
    // that already has its helper. Expected data flows inherit this flow's mark and get their
    // NAT from nf_nat_ftp, so they never pass these chains.
    c.rules.push_back(RuleBuilder()
                          .expr(Objref{NFT_OBJECT_CT_HELPER, std::string(kFtpHelper)})
                          .comment("FTP: the kernel's helper follows PORT/PASV")
                          .take());
  }
  Reg addr = Reg::k2, port = regPlus(Reg::k2, al / 4);
  Reg persistKey = Reg::k8;  // above every register the scheduling rule uses
  // A real of port 0 under a mark keeps the packet's destination port (IPVS fwmark services).
  const std::optional<Reg> natPort = cls.keepPort ? std::nullopt : std::optional<Reg>(port);
  uint64_t persistMs = uint64_t{cls.persistenceSec} * 1000;
  const Bytes zeros(cls.persistMask.size(), 0);
  auto persistClient = [&](RuleBuilder& r) -> RuleBuilder& {
    r.sourceAddr(v6, persistKey);
    if (!cls.persistMask.empty()) r.expr(Bitwise{persistKey, persistKey, cls.persistMask, zeros});
    return r.load(CtLoad{CtKey::kMark, std::nullopt, regPlus(persistKey, al / 4)});
  };
  if (cls.persistenceSec != 0) {
    RuleBuilder hit;
    c.rules.push_back(persistClient(hit)
                          .expr(Lookup{fam(kPersist, v6), persistKey, addr})
                          .expr(Dynset{Dynset::Op::kUpdate, fam(kPersist, v6), persistKey, addr,
                                       persistMs, false})
                          .expr(Nat{Nat::Type::kDnat, v6, addr, std::nullopt, natPort})
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
    persistClient(b);
    b.expr(Dynset{Dynset::Op::kAdd, fam(kPersist, v6), persistKey, addr, persistMs, false});
  }
  b.expr(Nat{Nat::Type::kDnat, v6, addr, std::nullopt, natPort});
  c.rules.push_back(b.comment("slot -> real").take());
  c.rules.push_back(RuleBuilder()
                        .verdict(Verdict{Verdict::Code::kDrop, {}})
                        .comment("slot without a real")
                        .take());
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

Verdict classVerdict(const std::vector<ServiceClass>& classes, bool byMark) {
  for (const auto& cls : classes) {
    if (cls.byMark == byMark) return Verdict{Verdict::Code::kGoto, inetClassChain(cls)};
  }
  return Verdict{Verdict::Code::kDrop, {}};  // no real in rotation
}

// A group is one service (one mark, one slot table) reached from each of its VIP:port keys and
// marks: a health flip edits its slots once, whatever the group's size.
void addServiceElements(TableState& t, const ServicePlan& sp,
                        const std::vector<ServiceClass>& classes) {
  bool v6 = !sp.key.vip.isV4();
  const Bytes mark = KeyBuilder().hostU32(serviceMark(sp.id)).take();
  const Verdict byAddress = classVerdict(classes, false);
  for (const auto& key : selectorAddresses(sp)) {
    t.elements[fam(kServices, v6)][serviceKey(key)] = byAddress;
    t.elements[fam(kMarks, v6)][serviceKey(key)] = mark;
  }
  const Verdict byMark = classVerdict(classes, true);
  for (uint32_t fwmark : selectorMarks(sp)) {
    // IPVS serves a marked packet of any protocol it handles, whatever the service's protocol.
    for (Protocol protocol : {Protocol::kTcp, Protocol::kUdp}) {
      t.elements[fam(kFwmarks, v6)][fwmarkKey(protocol, fwmark)] = byMark;
    }
    t.elements[fam(kFwmarkMarks, v6)][KeyBuilder().hostU32(fwmark).take()] = mark;
  }
  auto& backends = t.elements[fam(kBackends, v6)];
  for (uint32_t slot = 0; slot < sp.slots.size(); ++slot) {
    backends[backendKey(sp.id, slot)] = endpointData(sp.slots[slot]);
  }
  if (sp.laddrGroupId) {
    t.elements[std::string(kFullnat)][mark] =
        Verdict{Verdict::Code::kGoto, nft::laddrChain(*sp.laddrGroupId)};
  }
}

}  // namespace

std::vector<ServiceClass> serviceClassesOf(const ServicePlan& sp) {
  if (sp.slots.empty() || sp.mode == ForwardMode::kTun) return {};  // TUN: director/bpf
  ServiceClass cls;
  cls.modulus = static_cast<uint32_t>(sp.slots.size());
  if (sp.mode == ForwardMode::kDr) {  // before conntrack: a pure function of the packet
    cls.dr = true;
    cls.pick = SlotPick::kFlowHash;
    cls.hashPort = sp.hashPort;
    return {cls};
  }
  cls.v6 = !sp.key.vip.isV4();
  cls.pick = sp.pick;
  cls.hashPort = sp.pick == SlotPick::kFlowHash && sp.hashPort;
  if (sp.oneShot && sp.mode == ForwardMode::kNat) {  // no conntrack entry: nothing else applies
    cls.ops = true;
    return {cls};
  }
  cls.persistenceSec = sp.persistenceTimeoutSec;
  if (sp.persistenceMask)
    cls.persistMask.assign(sp.persistenceMask->bytes(),
                           sp.persistenceMask->bytes() + sp.persistenceMask->size());
  cls.timeouts = sp.timeouts;
  cls.ftpHelper = sp.ftpHelper;
  std::vector<ServiceClass> classes;
  if (sp.key.plain() || !sp.groupAddresses.empty()) classes.push_back(cls);
  if (!selectorMarks(sp).empty()) {
    cls.byMark = true;
    cls.keepPort = keepsPacketPort(sp);
    classes.push_back(cls);
  }
  return classes;
}

std::vector<std::string> classObjectNames(const ServiceClass& cls) {
  if (cls.dr || cls.ops) return {};
  std::string chain = inetClassChain(cls);
  return {ctTimeoutName(chain, true), ctTimeoutName(chain, false)};
}

ClassChain classChainOf(const ServiceClass& cls) {
  if (cls.dr) return {netdevTable(), drClassChain(cls.modulus, cls.hashPort)};
  return {inetTable(), inetClassChain(cls)};
}

void addDrServiceObjects(TableState& t, const ServicePlan& sp,
                         const ForwardingPlan& plan);  // dr_render.cc

void renderService(NftState& out, const ServicePlan& sp, const ForwardingPlan& plan) {
  if (sp.mode == ForwardMode::kTun) return;  // encapsulated by the eBPF datapath (director/bpf)
  if (sp.mode == ForwardMode::kDr) {
    addDrServiceObjects(out.tables[netdevTable()], sp, plan);
    return;
  }
  TableState& t = out.tables[inetTable()];
  auto classes = serviceClassesOf(sp);
  if (sp.oneShot && sp.mode == ForwardMode::kNat) {
    std::optional<std::string> chain;
    if (!classes.empty()) {
      const ServiceClass& opsClass = classes.front();
      chain = inetClassChain(opsClass);
      t.chains[*chain] = opsClassChain(*chain, opsClass.v6, opsClass.pick, opsClass.modulus,
                                       opsClass.hashPort, plan.hashSeed);
    }
    addOpsServiceElements(t, sp, chain);
    return;
  }
  addServiceElements(t, sp, classes);
  for (const auto& cls : classes) {
    auto chain = classChain(cls, plan.hashSeed);
    t.objects.try_emplace(ctTimeoutName(chain.name, true),
                          tcpTimeouts(ctTimeoutName(chain.name, true), cls.timeouts));
    t.objects.try_emplace(ctTimeoutName(chain.name, false),
                          udpTimeouts(ctTimeoutName(chain.name, false), cls.timeouts));
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

Bytes fwmarkKey(Protocol protocol, uint32_t mark) {
  return KeyBuilder().u8(static_cast<uint8_t>(protocol)).hostU32(mark).take();
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
  return KeyBuilder()
      .raw(endpoint.address.bytes(), endpoint.address.size())
      .be16(endpoint.port)
      .take();
}

TableState renderNetdev(const ForwardingPlan& plan);  // dr_render.cc

TableOwner tableOwner(TableOwnership ownership) {
  switch (ownership) {
    case TableOwnership::kNone:
      return TableOwner::kNone;
    case TableOwnership::kProcess:
      return TableOwner::kProcess;
    case TableOwnership::kPersistent:
      return TableOwner::kPersistent;
  }
  return TableOwner::kNone;
}

bool usesFtpHelper(const ForwardingPlan& plan) {
  return std::any_of(plan.services.begin(), plan.services.end(),
                     [](const auto& entry) { return entry.second.ftpHelper; });
}

void addFtpHelperObject(NftState& state) {
  const std::string name(kFtpHelper);
  state.tables[inetTable()].objects[name] = ObjectDef{name, CtHelperObject{"ftp", IPPROTO_TCP}};
}

NftState render(const ForwardingPlan& plan) {
  NftState state;
  state.tables[inetTable()] = renderInet(plan);
  if (planHasOps(plan)) addOpsBase(state.tables[inetTable()]);
  if (usesFtpHelper(plan)) addFtpHelperObject(state);
  if (!plan.drDevices.empty()) state.tables[netdevTable()] = renderNetdev(plan);
  for (const auto& [id, sp] : plan.services) renderService(state, sp, plan);
  for (auto& [id, table] : state.tables) table.owner = tableOwner(plan.tableOwnership);
  return state;
}

}  // namespace ha::director::nft
