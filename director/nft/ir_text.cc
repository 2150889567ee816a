#include "director/nft/ir_text.h"

#include <linux/netfilter/nf_tables.h>

#include <cstdio>
#include <sstream>

namespace ha::director::nft {
namespace {

std::string reg(Reg r) {
  if (r == Reg::kVerdict) return "verdict";
  return "r" + std::to_string(static_cast<uint32_t>(r) - static_cast<uint32_t>(Reg::k0));
}

const char* name(MetaKey k) {
  switch (k) {
    case MetaKey::kNfproto: return "nfproto";
    case MetaKey::kL4proto: return "l4proto";
    case MetaKey::kProtocol: return "protocol";
    case MetaKey::kMark: return "mark";
  }
  return "?";
}

const char* name(CtKey k) {
  switch (k) {
    case CtKey::kMark: return "mark";
    case CtKey::kState: return "state";
    case CtKey::kDirection: return "direction";
    case CtKey::kSrcIp: return "saddr";
    case CtKey::kDstIp: return "daddr";
    case CtKey::kSrcIp6: return "saddr6";
    case CtKey::kDstIp6: return "daddr6";
    case CtKey::kProtoSrc: return "proto-src";
    case CtKey::kProtoDst: return "proto-dst";
  }
  return "?";
}

const char* name(PayloadBase b) {
  switch (b) {
    case PayloadBase::kLink: return "link";
    case PayloadBase::kNetwork: return "network";
    case PayloadBase::kTransport: return "transport";
  }
  return "?";
}

std::string verdictText(const Verdict& v) {
  switch (v.code) {
    case Verdict::Code::kAccept: return "accept";
    case Verdict::Code::kDrop: return "drop";
    case Verdict::Code::kReturn: return "return";
    case Verdict::Code::kJump: return "jump " + v.chain;
    case Verdict::Code::kGoto: return "goto " + v.chain;
  }
  return "?";
}

std::string dataText(const std::variant<std::monostate, Bytes, Verdict>& d) {
  if (const auto* b = std::get_if<Bytes>(&d)) return hexWords(*b);
  if (const auto* v = std::get_if<Verdict>(&d)) return verdictText(*v);
  return "";
}

struct ExprText {
  std::string operator()(const MetaLoad& e) const { return "meta " + std::string(name(e.key)) + " > " + reg(e.dreg); }
  std::string operator()(const PayloadLoad& e) const {
    return "payload " + std::string(name(e.base)) + " +" + std::to_string(e.offset) + " len " +
           std::to_string(e.len) + " > " + reg(e.dreg);
  }
  std::string operator()(const CtLoad& e) const {
    std::string dir = !e.dir ? "" : (*e.dir == CtDir::kOriginal ? " original" : " reply");
    return "ct" + dir + " " + name(e.key) + " > " + reg(e.dreg);
  }
  std::string operator()(const CtSetMark& e) const { return "ct mark set " + reg(e.sreg); }
  std::string operator()(const Cmp& e) const {
    return "cmp " + reg(e.sreg) + (e.op == CmpOp::kEq ? " == " : " != ") + hexWords(e.data);
  }
  std::string operator()(const Bitwise& e) const {
    return "bitwise " + reg(e.dreg) + " = (" + reg(e.sreg) + " & " + hexWords(e.mask) + ") ^ " + hexWords(e.xorValue);
  }
  std::string operator()(const ImmediateData& e) const { return "immediate " + hexWords(e.data) + " > " + reg(e.dreg); }
  std::string operator()(const ImmediateVerdict& e) const { return verdictText(e.verdict); }
  std::string operator()(const Lookup& e) const {
    return "lookup @" + e.set + " key " + reg(e.sreg) + (e.dreg ? " > " + reg(*e.dreg) : "");
  }
  std::string operator()(const NumgenInc& e) const {
    return "numgen inc mod " + std::to_string(e.modulus) + " > " + reg(e.dreg);
  }
  std::string operator()(const Jhash& e) const {
    char seed[16];
    std::snprintf(seed, sizeof seed, "0x%08x", e.seed);
    return "jhash " + reg(e.sreg) + " len " + std::to_string(e.len) + " mod " + std::to_string(e.modulus) +
           " seed " + seed + " > " + reg(e.dreg);
  }
  std::string operator()(const Nat& e) const {
    std::string s = std::string(e.type == Nat::Type::kDnat ? "dnat" : "snat") + (e.ipv6 ? " ip6" : " ip") +
                    " addr " + reg(e.addrMin);
    if (e.addrMax) s += "-" + reg(*e.addrMax);
    if (e.protoMin) s += " port " + reg(*e.protoMin);
    return s;
  }
  std::string operator()(const Dynset& e) const {
    std::string s = std::string(e.op == Dynset::Op::kAdd ? "add" : "update") + " @" + e.set + " key " + reg(e.keyReg);
    if (e.dataReg) s += " data " + reg(*e.dataReg);
    if (e.timeoutMs != 0) s += " timeout " + std::to_string(e.timeoutMs) + "ms";
    if (e.counter) s += " counter";
    return s;
  }
  std::string operator()(const Counter&) const { return "counter"; }
  std::string operator()(const PayloadWrite& e) const {
    std::string s = "payload " + std::string(name(e.base)) + " +" + std::to_string(e.offset) +
                    " len " + std::to_string(e.len) + " < " + reg(e.sreg);
    if (e.inetCsum) s += " csum +" + std::to_string(e.csumOffset);
    if (e.l4Pseudo) s += " l4csum";
    return s;
  }
  std::string operator()(const Notrack&) const { return "notrack"; }
  std::string operator()(const Objref& e) const {
    const char* kind = e.type == NFT_OBJECT_CT_TIMEOUT  ? "ct timeout"
                       : e.type == NFT_OBJECT_CT_HELPER ? "ct helper"
                                                        : "object";
    return std::string(kind) + " set \"" + e.name + "\"";
  }
  std::string operator()(const Fwd& e) const {
    return std::string("fwd") + (e.addrReg ? (e.ipv6 ? " ip6 to " : " ip to ") + reg(*e.addrReg) : "") +
           " dev " + reg(e.devReg);
  }
};

const char* hookName(BaseHook::Hook h) {
  switch (h) {
    case BaseHook::Hook::kPrerouting: return "prerouting";
    case BaseHook::Hook::kInput: return "input";
    case BaseHook::Hook::kForward: return "forward";
    case BaseHook::Hook::kOutput: return "output";
    case BaseHook::Hook::kPostrouting: return "postrouting";
    case BaseHook::Hook::kIngress: return "ingress";
  }
  return "?";
}

std::string tableName(const TableId& id) {
  return std::string(id.family == TableFamily::kInet ? "inet " : "netdev ") + id.name;
}

}  // namespace

std::string hexWords(const Bytes& b) {
  std::string out;
  char buf[4];
  for (size_t i = 0; i < b.size(); ++i) {
    if (i != 0 && i % 4 == 0) out += '.';
    std::snprintf(buf, sizeof buf, "%02x", b[i]);
    out += buf;
  }
  return out;
}

std::string toText(const Expr& e) { return std::visit(ExprText{}, e); }

std::string toText(const Rule& r) {
  std::string s;
  for (const auto& e : r.exprs) s += (s.empty() ? "" : " ; ") + toText(e);
  if (!r.comment.empty()) s += "  # " + r.comment;
  return s;
}

std::string ownerText(TableOwner owner) {
  switch (owner) {
    case TableOwner::kNone: return "none";
    case TableOwner::kProcess: return "owner";
    case TableOwner::kPersistent: return "owner,persist";
  }
  return "?";
}

std::string objectKind(const ObjectDef& o) {
  return std::holds_alternative<CtHelperObject>(o.body) ? "ct helper" : "ct timeout";
}

std::string objectText(const ObjectDef& o) {
  std::string s = objectKind(o) + " " + o.name;
  if (const auto* helper = std::get_if<CtHelperObject>(&o.body)) {
    return s + " { type \"" + helper->type + "\" protocol " + std::to_string(helper->l4proto) +
           " }";
  }
  const auto& timeout = std::get<CtTimeoutObject>(o.body);
  s += " { protocol " + std::to_string(timeout.l4proto) + " seconds";
  for (uint32_t v : timeout.seconds) s += " " + std::to_string(v);
  return s + " }";
}

std::string toText(const NftState& state) {
  std::ostringstream out;
  for (const auto& [id, t] : state.tables) {
    out << "table " << tableName(id) << "\n";
    if (t.owner != TableOwner::kNone) out << "  flags " << ownerText(t.owner) << "\n";
    for (const auto& [name, set] : t.sets) {
      out << "  set " << name << (set.verdictMap ? " vmap" : set.map ? " map" : "") << " key " << set.keyLen;
      if (set.map && !set.verdictMap) out << " data " << set.dataLen;
      if (set.dynamic) out << " dynamic";
      if (set.timeout) out << " timeout";
      if (set.counterPerElement) out << " counter";
      if (set.size != 0) out << " size " << set.size;
      out << "\n";
      auto it = t.elements.find(name);
      if (it == t.elements.end()) continue;
      for (const auto& [key, data] : it->second) {
        out << "    " << hexWords(key);
        if (!std::holds_alternative<std::monostate>(data)) out << " : " << dataText(data);
        out << "\n";
      }
    }
    for (const auto& [name, chain] : t.chains) {
      out << "  chain " << name;
      if (chain.hook) {
        out << " { type " << chain.hook->type << " hook " << hookName(chain.hook->hook);
        if (!chain.hook->device.empty()) out << " device " << chain.hook->device;
        out << " priority " << chain.hook->priority << " }";
      }
      out << "\n";
      for (const auto& rule : chain.rules) out << "    " << toText(rule) << "\n";
    }
    for (const auto& [name, object] : t.objects) out << "  " << objectText(object) << "\n";
  }
  return out.str();
}

std::string toText(const Transaction& tx) {
  struct OpText {
    std::string operator()(const AddTable& o) const {
      std::string s = "add table " + tableName(o.table);
      if (o.owner && *o.owner != TableOwner::kNone) s += " { flags " + ownerText(*o.owner) + " }";
      return s;
    }
    std::string operator()(const DeleteTable& o) const { return "delete table " + tableName(o.table); }
    std::string operator()(const AddSet& o) const { return "add set " + o.set.name; }
    std::string operator()(const DeleteSet& o) const { return "delete set " + o.name; }
    std::string operator()(const AddChain& o) const { return "add chain " + o.chain.name; }
    std::string operator()(const DeleteChain& o) const { return "delete chain " + o.name; }
    std::string operator()(const FlushChain& o) const { return "flush chain " + o.name; }
    std::string operator()(const AddRule& o) const { return "add rule " + o.chain + " " + toText(o.rule); }
    std::string operator()(const AddElements& o) const {
      std::string s = "add element " + o.set + " {";
      for (const auto& e : o.elements) {
        s += " " + hexWords(e.key);
        if (!std::holds_alternative<std::monostate>(e.data)) s += " : " + dataText(e.data);
      }
      return s + " }";
    }
    std::string operator()(const DeleteElements& o) const {
      std::string s = "delete element " + o.set + " {";
      for (const auto& e : o.elements) s += " " + hexWords(e.key);
      return s + " }";
    }
    std::string operator()(const AddObject& o) const { return "add " + objectText(o.object); }
    std::string operator()(const DeleteObject& o) const {
      return "delete " + objectKind(o.object) + " " + o.object.name;
    }
  };
  std::string out;
  for (const auto& op : tx.ops) out += std::visit(OpText{}, op) + "\n";
  return out;
}

}  // namespace ha::director::nft
