#pragma once
// The one place where sync's model types (sync/wire.h) meet the generated protobuf code
// (proto/sync.proto), STYLE.md §4. decode() is the gate for a peer's untrusted bytes: whatever it
// returns is well formed (families, ports, protocol, state, bounds); whether this node serves the
// flow is catalog.h's question, asked later.
#include "common/result.h"
#include "sync.pb.h"
#include "sync/wire.h"

namespace ha::sync {

inline constexpr size_t kMaxNodeNameLength = 64;
// conntrack's longest default timeout is 5 days (nf_conntrack_tcp_timeout_established).
inline constexpr uint32_t kMaxFlowTimeoutSeconds = 7 * 24 * 3600;

proto::SyncMessage encode(const PeerMessage& message);

// Refusals name the field and, for a batch, the flow's index: "flow 3: reply tuple missing on an
// upsert". Removes carry only their key: reply, status, state and timeout are ignored and come
// back zero. The mark never travels (each receiver sets its own), so it decodes as 0.
Result<PeerMessage> decode(const proto::SyncMessage& message);

}  // namespace ha::sync
