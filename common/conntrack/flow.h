#pragma once
// One conntrack entry of a directord service: both tuples (the DNAT and SNAT bindings are implied
// by their difference), the TCP state, the remaining timeout. Pure values; the ctnetlink adapter
// and sync's protobuf codec convert to and from them.
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/ct_status.h"
#include "common/flow_mark.h"
#include "common/ip_address.h"

namespace ha::conntrack {

inline constexpr uint8_t kProtoTcp = 6;   // IPPROTO_TCP
inline constexpr uint8_t kProtoUdp = 17;  // IPPROTO_UDP
inline constexpr uint8_t kTcpStateMax =
    9;  // TCP_CONNTRACK_SYN_SENT2; states 0..9 (enum tcp_conntrack)
using ::ha::kIpsAssured;
using ::ha::kIpsSeenReply;
// The only status bits a peer may ask for; NAT bits come from the tuples, the rest are the
// kernel's.
inline constexpr uint32_t kSyncedStatusBits = kIpsSeenReply | kIpsAssured;
// Our flows' ct mark carries this tag in the top byte (common/flow_mark.h).
using ::ha::kMarkTag;
using ::ha::kMarkTagMask;

struct FlowTuple {
  IpAddress src;
  IpAddress dst;
  uint16_t srcPort = 0;  // host order
  uint16_t dstPort = 0;
  auto operator<=>(const FlowTuple&) const = default;
};

// A flow is named by its original tuple (client -> VIP:port) and protocol, on every director.
struct FlowKey {
  uint8_t l4proto = 0;
  FlowTuple original;
  auto operator<=>(const FlowKey&) const = default;
};

struct FlowEntry {
  uint8_t l4proto = 0;
  FlowTuple original;           // client:cport -> VIP:vport
  FlowTuple reply;              // real:rport -> laddr:lport (FULLNAT) or -> client:cport (NAT)
  uint32_t status = 0;          // kSyncedStatusBits as observed
  uint8_t tcpState = 0;         // enum tcp_conntrack; 0 for UDP, or not reported (kept as is)
  uint32_t timeoutSeconds = 0;  // remaining
  uint32_t mark = 0;  // the ct mark on the node holding the entry (receivers set their own)
  FlowKey key() const { return FlowKey{l4proto, original}; }
  auto operator<=>(const FlowEntry&) const = default;
};

// A dumped entry and the kernel's id for it (CTA_ID; none if the kernel did not report one). The id
// names that entry, not the flow: an entry created later under the same tuple has another one, so
// a delete by tuple and id cannot kill it. Local to this node: never synced, never compared.
struct KernelEntry {
  FlowEntry flow;
  std::optional<uint32_t> id;
  // Packets and bytes each way (CTA_COUNTERS_ORIG/REPLY), when the entry was created while the
  // namespace's conntrack accounting (net.netfilter.nf_conntrack_acct) was on. Local, never synced.
  struct Direction {
    uint64_t packets = 0;
    uint64_t bytes = 0;
    auto operator<=>(const Direction&) const = default;
  };
  struct Accounting {
    Direction original;  // client -> real
    Direction reply;     // real -> client
    auto operator<=>(const Accounting&) const = default;
  };
  std::optional<Accounting> accounting;
};

enum class FlowOp : uint8_t {
  kUpsert,  // create, or update the existing entry
  kRemove,
  // Create only; an existing entry (or one holding the reply tuple) is left alone. Never on the
  // wire: the receiver writes a peer's upsert of a flow nobody taught it this way (provenance.h).
  kCreate,
};

struct FlowUpdate {
  FlowOp op = FlowOp::kUpsert;
  FlowEntry entry;  // for kRemove only the key matters
  auto operator<=>(const FlowUpdate&) const = default;
};

std::string describe(const FlowEntry& entry);  // "tcp 203.0.113.10:40000 -> 192.0.2.100:80 ..."

struct FlowKeyHash {
  size_t operator()(const FlowKey& key) const noexcept;
};

}  // namespace ha::conntrack
