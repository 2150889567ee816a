#pragma once
// FlowEntry <-> ctnetlink messages (libnetfilter_conntrack's nf_conntrack as the intermediate).
// Internal to NetlinkConntrack (netlink_conntrack.cc); pure functions over buffers, no sockets.
#include <linux/netlink.h>

#include <cstdint>
#include <optional>

#include "common/conntrack/flow.h"

namespace ha::conntrack::ctnl {

// What an upsert message asks of the kernel.
enum class UpsertKind : uint8_t {
  kCreate,  // IPCTNL_MSG_CT_NEW, NLM_F_CREATE|NLM_F_EXCL: both tuples, NAT bindings, state
  // IPCTNL_MSG_CT_NEW without NLM_F_CREATE: state, status, timeout, mark. No NAT attributes: the
  // kernel refuses NAT changes on existing entries (EOPNOTSUPP).
  kUpdate,
};

// Does the reply tuple imply a source NAT (FULLNAT: the real answers a local address, or the
// client's port was remapped)?
bool needsSnat(const FlowEntry& entry);

// Appends one request at `nlh` (a zeroed buffer of at least kMaxMessageBytes). Returns false if the
// entry cannot be expressed (unknown protocol, mixed families).
inline constexpr size_t kMaxMessageBytes = 1024;
bool buildUpsert(nlmsghdr* nlh, const FlowEntry& entry, UpsertKind kind, uint32_t seq);
// A delete by original tuple; with `id`, of that kernel entry only (the kernel answers ENOENT if
// the entry under the tuple now has another id).
bool buildRemove(nlmsghdr* nlh, const FlowEntry& entry, uint32_t seq,
                 std::optional<uint32_t> id = std::nullopt);
// A lookup by original tuple: answered by the entry and an ack, or ENOENT.
bool buildGet(nlmsghdr* nlh, const FlowEntry& entry, uint32_t seq);
// A dump of every entry whose mark carries kMarkTag, IPv4 and IPv6 (nfgen_family AF_UNSPEC).
void buildDump(nlmsghdr* nlh, uint32_t seq);

// One IPCTNL_MSG_CT_NEW / _DELETE message (dump reply, echo or event) as a FlowEntry; nullopt if it
// is not a TCP/UDP entry or lacks a tuple. Untrusted input: never aborts.
std::optional<FlowEntry> parseEntry(const nlmsghdr* nlh);
// The same, with the entry's CTA_ID when the message carries one (dump replies do).
std::optional<KernelEntry> parseKernelEntry(const nlmsghdr* nlh);

}  // namespace ha::conntrack::ctnl
