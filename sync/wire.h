#pragma once
// The messages of one sync stream as model types; sync_codec converts them to and from
// proto/sync.proto (the only file that includes the generated code besides the transport).
//
// A stream runs from the dialling node (sender) to the peer it dials (receiver):
//   sender: Hello, BulkBegin, Batch(bulk)..., BulkEnd, Batch... (incremental, forever)
//   receiver: Ack(seq) after the batch with that seq is applied to its kernel (cumulative).
// Every node dials every peer, so each pair has one stream each way.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "sync/flow.h"

namespace ha::sync {

inline constexpr uint32_t kProtocolVersion = 1;
inline constexpr size_t kMaxFlowsPerBatch = 4096;  // larger batches are malformed

struct Hello {
  std::string node;      // the sender's name; must be a configured peer of the receiver
  uint32_t version = kProtocolVersion;
  uint64_t sessionId = 0;  // new per dial, so the receiver tells a reconnect from a late message
  auto operator<=>(const Hello&) const = default;
};

struct BulkBegin {
  uint64_t seq = 0;
  auto operator<=>(const BulkBegin&) const = default;
};

struct FlowBatch {
  uint64_t seq = 0;
  bool bulk = false;
  std::vector<FlowUpdate> updates;
  auto operator<=>(const FlowBatch&) const = default;
};

struct BulkEnd {
  uint64_t seq = 0;
  uint64_t entries = 0;  // upserts the bulk carried, so the receiver can tell it saw all of them
  auto operator<=>(const BulkEnd&) const = default;
};

struct Ack {
  uint64_t seq = 0;       // everything up to and including seq is applied
  uint64_t rejected = 0;  // entries of that batch the receiver refused (counted there by reason)
  auto operator<=>(const Ack&) const = default;
};

using PeerMessage = std::variant<Hello, BulkBegin, FlowBatch, BulkEnd, Ack>;

}  // namespace ha::sync
