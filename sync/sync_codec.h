#pragma once
// The one place where sync's model types (sync/wire.h) meet the generated protobuf code
// (proto/sync.proto), docs/style.md §4. decode() is the gate for a peer's untrusted bytes: whatever
// it returns is well formed (families, ports, protocol, state, bounds); whether this node serves
// the flow is catalog.h's question, asked later.
#include "common/result.h"
#include "sync.pb.h"
#include "sync/wire.h"

namespace ha::sync {

inline constexpr size_t kMaxNodeNameLength = 64;
// conntrack's longest default timeout is 5 days (nf_conntrack_tcp_timeout_established).
inline constexpr uint32_t kMaxFlowTimeoutSeconds = 7 * 24 * 3600;

// The largest Flow encode() writes, as an element of Batch.flows: an IPv6 flow with every field at
// its largest legal value. Tuple: src and dst (tag, length, 16 bytes) 2 × 18, ports (tag, varint
// <= 65535) 2 × 4 = 44; in Flow with tag and length, 46. Flow: remove 2, l4proto 2, original 46,
// reply 46, status (<= 6) 2, tcp_state (<= 9) 2, timeout (tag, varint <= 604800 < 2^21) 4 = 104;
// with its own tag and length (< 128: one byte) 106. sync_codec_test encodes it to check.
inline constexpr size_t kMaxEncodedFlowBytes = 106;
// A SyncMessage holding the largest Batch: seq (tag + 10-byte varint) 11, bulk 2, the batch's tag
// and length (3-byte varint) 4, rounded up to 64. Every message of ours fits; the transport's
// receive limit is this, so a larger one is refused by gRPC before it reaches the parser.
inline constexpr size_t kMaxEncodedMessageBytes = kMaxFlowsPerBatch * kMaxEncodedFlowBytes + 64;
// What the dialled side answers: Acks (seq and rejected, each tag + 10-byte varint, plus the
// message's tag and length), with room to spare.
inline constexpr size_t kMaxEncodedAckBytes = 64;

proto::SyncMessage encode(const PeerMessage& message);

// Refusals name the field and, for a batch, the flow's index: "flow 3: reply tuple missing on an
// upsert". Removes carry only their key: reply, status, state and timeout are ignored and come
// back zero. The mark never travels (each receiver sets its own), so it decodes as 0.
Result<PeerMessage> decode(const proto::SyncMessage& message);

}  // namespace ha::sync
