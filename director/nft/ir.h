#pragma once
// The nf_tables objects directord owns, as plain values close to the netlink expressions.
// render.cc builds them from a ForwardingPlan, diff.cc compares two states into a Transaction,
// and the NftWriter is the only code that turns them into netlink (docs/style.md §2).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace ha::director::nft {

using Bytes = std::vector<uint8_t>;

// nf_tables 32-bit data registers (NFT_REG32_00 == 8 in linux/netfilter/nf_tables.h).
enum class Reg : uint32_t { kVerdict = 0, k0 = 8, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10, k11, k12 };
constexpr Reg regPlus(Reg r, uint32_t n) { return static_cast<Reg>(static_cast<uint32_t>(r) + n); }

enum class TableFamily : uint8_t { kInet, kNetdev };

// Keys mirror the NFT_META_* / NFT_CT_* / NFT_PAYLOAD_* constants; the writer maps them.
enum class MetaKey : uint8_t { kNfproto, kL4proto, kProtocol, kMark };
enum class PayloadBase : uint8_t { kLink, kNetwork, kTransport };
enum class CtKey : uint8_t { kMark, kState, kDirection, kSrcIp, kDstIp, kSrcIp6, kDstIp6, kProtoSrc, kProtoDst };
enum class CtDir : uint8_t { kOriginal, kReply };
enum class CmpOp : uint8_t { kEq, kNeq };

struct MetaLoad { MetaKey key; Reg dreg; bool operator==(const MetaLoad&) const = default; };
struct PayloadLoad {
  PayloadBase base; uint32_t offset; uint32_t len; Reg dreg;
  bool operator==(const PayloadLoad&) const = default;
};
struct CtLoad {
  CtKey key; std::optional<CtDir> dir; Reg dreg;
  bool operator==(const CtLoad&) const = default;
};
struct CtSetMark { Reg sreg; bool operator==(const CtSetMark&) const = default; };
struct Cmp { CmpOp op; Reg sreg; Bytes data; bool operator==(const Cmp&) const = default; };
// dreg = (sreg & mask) ^ xorValue over len bytes.
struct Bitwise {
  Reg sreg; Reg dreg; Bytes mask; Bytes xorValue;
  bool operator==(const Bitwise&) const = default;
};
struct ImmediateData { Reg dreg; Bytes data; bool operator==(const ImmediateData&) const = default; };

struct Verdict {
  enum class Code : uint8_t { kAccept, kDrop, kReturn, kJump, kGoto };
  Code code = Code::kAccept;
  std::string chain;  // for jump/goto
  bool operator==(const Verdict&) const = default;
  auto operator<=>(const Verdict&) const = default;
};
struct ImmediateVerdict { Verdict verdict; bool operator==(const ImmediateVerdict&) const = default; };

// A set lookup; with dreg it is a map lookup (Reg::kVerdict for a verdict map).
struct Lookup {
  std::string set; Reg sreg; std::optional<Reg> dreg;
  bool operator==(const Lookup&) const = default;
};
struct NumgenInc { Reg dreg; uint32_t modulus; bool operator==(const NumgenInc&) const = default; };
// reciprocal_scale(jhash(sreg[0..len), seed), modulus): the flow oracle recomputes it (common/jhash.h).
struct Jhash {
  Reg sreg; uint32_t len; Reg dreg; uint32_t modulus; uint32_t seed;
  bool operator==(const Jhash&) const = default;
};
struct Nat {
  enum class Type : uint8_t { kSnat, kDnat };
  Type type; bool ipv6; Reg addrMin; std::optional<Reg> addrMax; std::optional<Reg> protoMin;
  bool operator==(const Nat&) const = default;
};
// Adds or refreshes an element of a kernel-managed (dynamic) set from the packet path.
struct Dynset {
  enum class Op : uint8_t { kAdd, kUpdate };
  Op op; std::string set; Reg keyReg; std::optional<Reg> dataReg;
  uint64_t timeoutMs = 0;  // 0: the set's own
  bool counter = false;    // per-element counter (the set must declare one too)
  bool operator==(const Dynset&) const = default;
};
struct Counter { bool operator==(const Counter&) const = default; };
// Stateless rewrite of packet bytes from sreg (ops): csumType NFT_PAYLOAD_CSUM_* fixes the
// checksum at csumOffset of the same header; l4Pseudo also fixes the TCP/UDP checksum over an
// address (NFT_PAYLOAD_L4CSUM_PSEUDOHDR).
struct PayloadWrite {
  PayloadBase base;
  uint32_t offset;
  uint32_t len;
  Reg sreg;
  bool inetCsum = false;
  uint32_t csumOffset = 0;
  bool l4Pseudo = false;
  bool operator==(const PayloadWrite&) const = default;
};
// No conntrack entry for this packet (raw priority, before conntrack sees it).
struct Notrack {
  bool operator==(const Notrack&) const = default;
};
// nft_objref: attach a stateful object by name (`ct timeout set "NAME"`, `ct helper set "NAME"`).
struct Objref {
  uint32_t type;
  std::string name;  // type: NFT_OBJECT_*
  bool operator==(const Objref&) const = default;
};
// nft_fwd_netdev: with addrReg, neighbour output to that next hop (fwd ip to ADDR device DEV).
struct Fwd {
  Reg devReg; std::optional<Reg> addrReg; bool ipv6 = false;
  bool operator==(const Fwd&) const = default;
};

using Expr = std::variant<MetaLoad, PayloadLoad, CtLoad, CtSetMark, Cmp, Bitwise, ImmediateData,
                          ImmediateVerdict, Lookup, NumgenInc, Jhash, Nat, Dynset, Counter, Fwd,
                          Objref, PayloadWrite, Notrack>;

struct Rule {
  std::vector<Expr> exprs;
  std::string comment;  // shown by `nft list`
  bool operator==(const Rule&) const = default;
};

struct BaseHook {
  enum class Hook : uint8_t { kPrerouting, kInput, kForward, kOutput, kPostrouting, kIngress };
  Hook hook; int32_t priority; std::string type;  // "nat" / "filter"
  std::string device;                             // netdev ingress only
  bool operator==(const BaseHook&) const = default;
};

struct ChainDef {
  std::string name;
  std::optional<BaseHook> hook;  // base chain when set; policy is always accept
  std::vector<Rule> rules;
  bool operator==(const ChainDef&) const = default;
};

// Set flags mirror NFT_SET_*.
struct SetDef {
  std::string name;
  bool map = false;          // NFT_SET_MAP (data or verdict)
  bool verdictMap = false;   // data is a verdict
  bool dynamic = false;      // NFT_SET_EVAL: filled by the packet path; the diff never edits it
  bool timeout = false;      // NFT_SET_TIMEOUT
  uint32_t keyType = 0;      // nft userspace datatype id (display only), concat-encoded
  uint32_t keyLen = 0;       // bytes, each concatenated field padded to 4
  uint32_t dataType = 0;
  uint32_t dataLen = 0;
  uint32_t size = 0;         // 0: unbounded
  bool counterPerElement = false;
  bool operator==(const SetDef&) const = default;
};

// Stateful objects of a table (NFT_MSG_NEWOBJ), attached to flows by rules (Objref).
// A conntrack timeout policy (NFT_OBJECT_CT_TIMEOUT, `nft list ct timeouts`): seconds per state,
// indexed by NFTNL_CTTIMEOUT_TCP_* / NFTNL_CTTIMEOUT_UDP_*; every state is given.
struct CtTimeoutObject {
  uint8_t l4proto = 0;  // IPPROTO_TCP / IPPROTO_UDP
  std::vector<uint32_t> seconds;
  bool operator==(const CtTimeoutObject&) const = default;
};
// A ct helper (NFT_OBJECT_CT_HELPER) binds a kernel conntrack helper (nf_conntrack_<type>, with its
// nf_nat_<type>) to the flows a rule hands it: `ct helper NAME { type "ftp" protocol tcp; }`.
struct CtHelperObject {
  std::string type;     // the kernel helper's name, "ftp"
  uint8_t l4proto = 6;  // IPPROTO_TCP
  bool operator==(const CtHelperObject&) const = default;
};
struct ObjectDef {
  std::string name;
  std::variant<CtTimeoutObject, CtHelperObject> body;
  bool operator==(const ObjectDef&) const = default;
};

struct Element {
  Bytes key;
  std::variant<std::monostate, Bytes, Verdict> data;
  bool operator==(const Element&) const = default;
};

struct TableId {
  TableFamily family; std::string name;
  auto operator<=>(const TableId&) const = default;
};

// Who may change a table (NFTA_TABLE_FLAGS): kProcess/kPersistent tables are owner-flagged, so only
// the netlink socket that created them can change or delete them (`nft delete table`, `nft flush
// ruleset` and foreign rules are refused or skipped); kPersistent tables outlive the process
// (Linux >= 6.9), orphaned until the next directord claims them.
enum class TableOwner : uint8_t { kNone, kProcess, kPersistent };

struct TableState {
  TableOwner owner = TableOwner::kNone;
  std::map<std::string, SetDef> sets;
  std::map<std::string, ChainDef> chains;
  std::map<std::string, ObjectDef> objects;  // stateful objects the chains name, by name
  // set name -> key -> data; only for sets the diff owns (not dynamic ones)
  std::map<std::string, std::map<Bytes, std::variant<std::monostate, Bytes, Verdict>>> elements;
  bool operator==(const TableState&) const = default;
};

struct NftState {
  std::map<TableId, TableState> tables;
  bool operator==(const NftState&) const = default;
};

// Transaction operations, in the order the writer sends them.
// owner: the table's flags when this creates it; nullopt only ensures it exists (an existing
// table, ours or an orphan, keeps its flags: replaceAll's "add, delete, re-create" idiom).
struct AddTable { TableId table; std::optional<TableOwner> owner = std::nullopt; };
struct DeleteTable { TableId table; };
struct AddSet { TableId table; SetDef set; };
struct DeleteSet { TableId table; std::string name; };
struct AddChain { TableId table; ChainDef chain; };  // rules are sent as AddRule ops
struct DeleteChain { TableId table; std::string name; };
struct FlushChain { TableId table; std::string name; };
struct AddRule { TableId table; std::string chain; Rule rule; };
struct AddObject {
  TableId table;
  ObjectDef object;
};
struct DeleteObject {
  TableId table;
  ObjectDef object;  // the kernel wants its type as well as its name
};
struct AddElements { TableId table; std::string set; std::vector<Element> elements; };
struct DeleteElements { TableId table; std::string set; std::vector<Element> elements; };
using Op = std::variant<AddTable, DeleteTable, AddSet, DeleteSet, AddChain, DeleteChain, FlushChain,
                        AddRule, AddElements, DeleteElements, AddObject, DeleteObject>;

struct Transaction {
  std::vector<Op> ops;
  bool empty() const { return ops.empty(); }
};

// Field layout helpers: nf_tables concatenations pad every field to a 4-byte register.
class KeyBuilder {
 public:
  KeyBuilder& u8(uint8_t v);            // e.g. l4proto
  KeyBuilder& be16(uint16_t v);         // e.g. a port, network order
  KeyBuilder& hostU32(uint32_t v);      // values the kernel writes in host order (marks, numgen, jhash)
  KeyBuilder& raw(const uint8_t* p, size_t n);
  Bytes take() { return std::move(bytes_); }

 private:
  void pad();
  Bytes bytes_;
};

}  // namespace ha::director::nft
