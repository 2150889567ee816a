#pragma once
// sync's port to the kernel's conntrack table (STYLE.md §3): the events of our flows, a dump of
// them, and batched writes. NetlinkConntrack (netlink_conntrack.h) is the production adapter;
// tests use tests/fakes/fake_conntrack_table.h.
#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "sync/flow.h"

namespace ha::sync {

struct ApplyReport {
  uint64_t created = 0;  // new entries, with their NAT bindings
  uint64_t updated = 0;  // existing entries: state, status and timeout refreshed
  uint64_t removed = 0;
  uint64_t missing = 0;  // removes of entries that were not there (already gone: not an error)
  uint64_t failed = 0;   // refused by the kernel; firstError says why
  std::string firstError;
};

struct EventRead {
  // The kernel dropped events (ENOBUFS): the caller re-dumps to catch up.
  bool overrun = false;
};

class ConntrackPort {
 public:
  virtual ~ConntrackPort() = default;
  // Every entry whose mark carries kMarkTag. Marks are this node's.
  virtual Result<std::vector<FlowEntry>> dump() = 0;
  // In order, as batched netlink messages. An upsert creates the entry with explicit NAT bindings
  // (both tuples, DNAT to reply.src and, when reply.dst is not the client, SNAT to reply.dst) and
  // entry.mark, or, when it exists, updates its TCP state, status bits and timeout. Same batch twice
  // leaves the same table. A remove deletes by original tuple.
  virtual ApplyReport apply(const std::vector<FlowUpdate>& updates) = 0;
  // Readable when events are queued (watched by the sync io_context); -1 if there are no events.
  virtual int eventFd() const = 0;
  // Reads what is queued without blocking. Appends new / changed (kUpsert) and destroyed (kRemove)
  // entries of our flows, except those caused by this port's own apply().
  virtual Result<EventRead> readEvents(std::vector<FlowUpdate>& out) = 0;
};

}  // namespace ha::sync
