// IR expressions -> libnftnl expressions. Each builder sets exactly the
// attributes nft itself sends for the same statement, so `nft list` can print
// what we install.
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_tuple_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>

#include <string>

#include "director/nft/nftnl_util.h"

namespace ha::director::nft::detail {
namespace {

template <typename... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <typename... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

uint32_t reg(Reg r) { return static_cast<uint32_t>(r); }

uint32_t metaKey(MetaKey k) {
  switch (k) {
    case MetaKey::kNfproto:
      return NFT_META_NFPROTO;
    case MetaKey::kL4proto:
      return NFT_META_L4PROTO;
    case MetaKey::kProtocol:
      return NFT_META_PROTOCOL;
    case MetaKey::kMark:
      return NFT_META_MARK;
  }
  return NFT_META_NFPROTO;
}

uint32_t payloadBase(PayloadBase b) {
  switch (b) {
    case PayloadBase::kLink:
      return NFT_PAYLOAD_LL_HEADER;
    case PayloadBase::kNetwork:
      return NFT_PAYLOAD_NETWORK_HEADER;
    case PayloadBase::kTransport:
      return NFT_PAYLOAD_TRANSPORT_HEADER;
  }
  return NFT_PAYLOAD_NETWORK_HEADER;
}

uint32_t ctKey(CtKey k) {
  switch (k) {
    case CtKey::kMark:
      return NFT_CT_MARK;
    case CtKey::kState:
      return NFT_CT_STATE;
    case CtKey::kDirection:
      return NFT_CT_DIRECTION;
    case CtKey::kSrcIp:
      return NFT_CT_SRC_IP;
    case CtKey::kDstIp:
      return NFT_CT_DST_IP;
    case CtKey::kSrcIp6:
      return NFT_CT_SRC_IP6;
    case CtKey::kDstIp6:
      return NFT_CT_DST_IP6;
    case CtKey::kProtoSrc:
      return NFT_CT_PROTO_SRC;
    case CtKey::kProtoDst:
      return NFT_CT_PROTO_DST;
  }
  return NFT_CT_MARK;
}

Status checkData(std::string_view what, const Bytes &data) {
  if (data.empty() || data.size() > kMaxDataLen) {
    return Error{std::string(what) + " is " + std::to_string(data.size()) + " bytes (1.." +
                 std::to_string(kMaxDataLen) + " allowed)"};
  }
  return okStatus();
}

void setBytes(nftnl_expr *e, uint16_t attr, const Bytes &data) {
  nftnl_expr_set(e, attr, data.data(), static_cast<uint32_t>(data.size()));
}

// Fills `e`, already allocated with the right kernel name; returns an error for
// IR libnftnl would copy out of bounds.
struct Filler {
  nftnl_expr *e;

  Status operator()(const MetaLoad &m) const {
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, metaKey(m.key));
    nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, reg(m.dreg));
    return okStatus();
  }
  Status operator()(const PayloadLoad &p) const {
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, payloadBase(p.base));
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, p.offset);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, p.len);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, reg(p.dreg));
    return okStatus();
  }
  Status operator()(const CtLoad &c) const {
    nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, ctKey(c.key));
    nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, reg(c.dreg));
    if (c.dir) {
      nftnl_expr_set_u8(
          e, NFTNL_EXPR_CT_DIR,
          static_cast<uint8_t>(*c.dir == CtDir::kOriginal ? IP_CT_DIR_ORIGINAL : IP_CT_DIR_REPLY));
    }
    return okStatus();
  }
  Status operator()(const CtSetMark &c) const {
    nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_MARK);
    nftnl_expr_set_u32(e, NFTNL_EXPR_CT_SREG, reg(c.sreg));
    return okStatus();
  }
  Status operator()(const Cmp &c) const {
    if (auto st = checkData("cmp data", c.data); !st) return st;
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, reg(c.sreg));
    nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, c.op == CmpOp::kEq ? NFT_CMP_EQ : NFT_CMP_NEQ);
    setBytes(e, NFTNL_EXPR_CMP_DATA, c.data);
    return okStatus();
  }
  Status operator()(const Bitwise &b) const {
    if (auto st = checkData("bitwise mask", b.mask); !st) return st;
    // The kernel wants mask and xor of the same length; an empty xor means "no
    // xor".
    Bytes xorValue = b.xorValue.empty() ? Bytes(b.mask.size(), 0) : b.xorValue;
    if (xorValue.size() != b.mask.size()) {
      return Error{"bitwise xor is " + std::to_string(xorValue.size()) + " bytes, mask " +
                   std::to_string(b.mask.size())};
    }
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, reg(b.sreg));
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, reg(b.dreg));
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_OP, NFT_BITWISE_BOOL);
    nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, static_cast<uint32_t>(b.mask.size()));
    setBytes(e, NFTNL_EXPR_BITWISE_MASK, b.mask);
    setBytes(e, NFTNL_EXPR_BITWISE_XOR, xorValue);
    return okStatus();
  }
  Status operator()(const ImmediateData &i) const {
    if (auto st = checkData("immediate data", i.data); !st) return st;
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, reg(i.dreg));
    setBytes(e, NFTNL_EXPR_IMM_DATA, i.data);
    return okStatus();
  }
  Status operator()(const ImmediateVerdict &i) const {
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
    nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, verdictCode(i.verdict.code));
    if (i.verdict.code == Verdict::Code::kJump || i.verdict.code == Verdict::Code::kGoto) {
      if (auto st = checkName("verdict chain", i.verdict.chain); !st) return st;
      nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, i.verdict.chain.c_str());
    }
    return okStatus();
  }
  Status operator()(const Lookup &l) const {
    if (auto st = checkName("lookup set", l.set); !st) return st;
    nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, l.set.c_str());
    nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, reg(l.sreg));
    if (l.dreg) nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, reg(*l.dreg));
    return okStatus();
  }
  Status operator()(const NumgenInc &n) const {
    nftnl_expr_set_u32(e, NFTNL_EXPR_NG_DREG, reg(n.dreg));
    nftnl_expr_set_u32(e, NFTNL_EXPR_NG_TYPE, NFT_NG_INCREMENTAL);
    nftnl_expr_set_u32(e, NFTNL_EXPR_NG_MODULUS, n.modulus);
    nftnl_expr_set_u32(e, NFTNL_EXPR_NG_OFFSET, 0);
    return okStatus();
  }
  Status operator()(const Jhash &h) const {
    nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_TYPE, NFT_HASH_JENKINS);
    nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_SREG, reg(h.sreg));
    nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_LEN, h.len);
    nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_DREG, reg(h.dreg));
    nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_MODULUS, h.modulus);
    // Always explicit: without it each director draws a random seed
    // (docs/decisions/0008-maglev-with-a-fixed-seed.md, measured facts).
    nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_SEED, h.seed);
    nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_OFFSET, 0);
    return okStatus();
  }
  Status operator()(const Nat &n) const {
    nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE,
                       n.type == Nat::Type::kDnat ? NFT_NAT_DNAT : NFT_NAT_SNAT);
    nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, n.ipv6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
    nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, reg(n.addrMin));
    if (n.addrMax) nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MAX, reg(*n.addrMax));
    if (n.protoMin) {
      nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, reg(*n.protoMin));
      nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MAX, reg(*n.protoMin));
      // The kernel adds NF_NAT_RANGE_MAP_IPS for an address register by itself.
      nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FLAGS, NF_NAT_RANGE_PROTO_SPECIFIED);
    }
    return okStatus();
  }
  Status operator()(const Dynset &d) const {
    if (auto st = checkName("dynset set", d.set); !st) return st;
    nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_OP,
                       d.op == Dynset::Op::kAdd ? NFT_DYNSET_OP_ADD : NFT_DYNSET_OP_UPDATE);
    nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, d.set.c_str());
    nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, reg(d.keyReg));
    if (d.dataReg) nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_DATA, reg(*d.dataReg));
    if (d.timeoutMs != 0) nftnl_expr_set_u64(e, NFTNL_EXPR_DYNSET_TIMEOUT, d.timeoutMs);
    if (d.counter) {
      nftnl_expr *counter = nftnl_expr_alloc("counter");
      if (counter == nullptr) return Error{"out of memory"};
      nftnl_expr_add_expr(e, NFTNL_EXPR_DYNSET_EXPR,
                          counter);  // takes ownership
    }
    return okStatus();
  }
  Status operator()(const Counter &) const { return okStatus(); }
  Status operator()(const Fwd &f) const {
    nftnl_expr_set_u32(e, NFTNL_EXPR_FWD_SREG_DEV, reg(f.devReg));
    if (f.addrReg) {
      nftnl_expr_set_u32(e, NFTNL_EXPR_FWD_SREG_ADDR, reg(*f.addrReg));
      nftnl_expr_set_u32(e, NFTNL_EXPR_FWD_NFPROTO, f.ipv6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
    }
    return okStatus();
  }
  Status operator()(const PayloadWrite& p) const {
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, payloadBase(p.base));
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, p.offset);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, p.len);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_SREG, reg(p.sreg));
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_CSUM_TYPE,
                       p.inetCsum ? NFT_PAYLOAD_CSUM_INET : NFT_PAYLOAD_CSUM_NONE);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_CSUM_OFFSET, p.csumOffset);
    nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_FLAGS, p.l4Pseudo ? NFT_PAYLOAD_L4CSUM_PSEUDOHDR : 0);
    return okStatus();
  }
  Status operator()(const Notrack&) const { return okStatus(); }
  Status operator()(const Objref& o) const {
    if (auto st = checkName("object", o.name); !st) return st;
    nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_IMM_TYPE, o.type);
    nftnl_expr_set_str(e, NFTNL_EXPR_OBJREF_IMM_NAME, o.name.c_str());
    return okStatus();
  }
};

}  // namespace

std::string_view exprName(const Expr &expr) {
  return std::visit(Overloaded{
                        [](const MetaLoad&) { return std::string_view("meta"); },
                        [](const PayloadLoad&) { return std::string_view("payload"); },
                        [](const CtLoad&) { return std::string_view("ct"); },
                        [](const CtSetMark&) { return std::string_view("ct"); },
                        [](const Cmp&) { return std::string_view("cmp"); },
                        [](const Bitwise&) { return std::string_view("bitwise"); },
                        [](const ImmediateData&) { return std::string_view("immediate"); },
                        [](const ImmediateVerdict&) { return std::string_view("immediate"); },
                        [](const Lookup&) { return std::string_view("lookup"); },
                        [](const NumgenInc&) { return std::string_view("numgen"); },
                        [](const Jhash&) { return std::string_view("hash"); },
                        [](const Nat&) { return std::string_view("nat"); },
                        [](const Dynset&) { return std::string_view("dynset"); },
                        [](const Counter&) { return std::string_view("counter"); },
                        [](const Fwd&) { return std::string_view("fwd"); },
                        [](const Objref&) { return std::string_view("objref"); },
                        [](const PayloadWrite&) { return std::string_view("payload"); },
                        [](const Notrack&) { return std::string_view("notrack"); },
                    },
                    expr);
}

Result<ExprPtr> buildExpr(const Expr &expr) {
  const std::string name(exprName(expr));
  ExprPtr e(nftnl_expr_alloc(name.c_str()));
  if (!e) return Error{"libnftnl has no expression " + name};
  if (auto st = std::visit(Filler{e.get()}, expr); !st) return Error{name + ": " + st.error()};
  return e;
}

}  // namespace ha::director::nft::detail
