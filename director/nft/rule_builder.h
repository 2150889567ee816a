#pragma once
// Small vocabulary for composing rules from IR expressions, so render.cc reads as the ruleset
// it builds. Register layout conventions are documented where render.cc uses them.
#include <linux/netfilter.h>

#include <string>
#include <utility>

#include "director/nft/ir.h"
#include "director/nft/names.h"

namespace ha::director::nft {

class RuleBuilder {
 public:
  RuleBuilder& expr(Expr e) {
    rule_.exprs.push_back(std::move(e));
    return *this;
  }
  RuleBuilder& load(Expr e) { return expr(std::move(e)); }
  RuleBuilder& comment(std::string text) {
    rule_.comment = std::move(text);
    return *this;
  }
  RuleBuilder& immediate(Reg dreg, Bytes data) { return expr(ImmediateData{dreg, std::move(data)}); }
  RuleBuilder& verdict(Verdict v) { return expr(ImmediateVerdict{std::move(v)}); }
  RuleBuilder& lookupVerdict(std::string set, Reg sreg) {
    return expr(Lookup{std::move(set), sreg, Reg::kVerdict});
  }

  // An inet table sees both families; every family-specific load needs this guard first.
  RuleBuilder& nfproto(bool v6) {
    expr(MetaLoad{MetaKey::kNfproto, Reg::k0});
    return expr(Cmp{CmpOp::kEq, Reg::k0, {static_cast<uint8_t>(v6 ? NFPROTO_IPV6 : NFPROTO_IPV4)}});
  }

  // l4proto . daddr . th dport from `base` on: the key of the services maps.
  RuleBuilder& l4protoDaddrDport(bool v6, Reg base) {
    expr(MetaLoad{MetaKey::kL4proto, base});
    expr(PayloadLoad{PayloadBase::kNetwork, v6 ? 24u : 16u, v6 ? 16u : 4u, regPlus(base, 1)});
    return expr(PayloadLoad{PayloadBase::kTransport, 2, 2, regPlus(base, v6 ? 5 : 2)});
  }

  RuleBuilder& sourceAddr(bool v6, Reg dreg) {
    return expr(PayloadLoad{PayloadBase::kNetwork, v6 ? 8u : 12u, v6 ? 16u : 4u, dreg});
  }

  // jhash(saddr [. th sport]) mod modulus -> dreg; `scratch` and the registers after it are used.
  RuleBuilder& flowHash(bool v6, bool withPort, uint32_t seed, uint32_t modulus, Reg dreg, Reg scratch) {
    sourceAddr(v6, scratch);
    uint32_t len = v6 ? 16 : 4;
    if (withPort) {
      expr(PayloadLoad{PayloadBase::kTransport, 0, 2, regPlus(scratch, len / 4)});
      len += 4;
    }
    return expr(Jhash{scratch, len, dreg, modulus, seed});
  }

  // ct mark -> reg, and continue only for flows directord marked.
  RuleBuilder& ourMark(Reg reg) {
    expr(CtLoad{CtKey::kMark, std::nullopt, reg});
    expr(Bitwise{reg, kScratch, KeyBuilder().hostU32(kMarkTagMask).take(), Bytes(4, 0)});
    return expr(Cmp{CmpOp::kEq, kScratch, KeyBuilder().hostU32(kMarkTag).take()});
  }

  RuleBuilder& ctStateNew(Reg scratch) {
    constexpr uint32_t kCtStateNew = 1u << (2 + 1);  // NF_CT_STATE_BIT(IP_CT_NEW)
    expr(CtLoad{CtKey::kState, std::nullopt, scratch});
    expr(Bitwise{scratch, scratch, KeyBuilder().hostU32(kCtStateNew).take(), Bytes(4, 0)});
    return expr(Cmp{CmpOp::kNeq, scratch, Bytes(4, 0)});
  }

  // The real behind a NATed flow: source of the reply tuple (address . port).
  RuleBuilder& ctReplySource(bool v6, Reg dreg) {
    expr(CtLoad{v6 ? CtKey::kSrcIp6 : CtKey::kSrcIp, CtDir::kReply, dreg});
    return expr(CtLoad{CtKey::kProtoSrc, CtDir::kReply, regPlus(dreg, v6 ? 4 : 1)});
  }

  Rule take() { return std::move(rule_); }

 private:
  static constexpr Reg kScratch = Reg::k12;
  Rule rule_;
};

}  // namespace ha::director::nft
