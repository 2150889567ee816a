#pragma once
// The port to the kernel's conntrack table: the events of our flows, a dump of them, and batched
// writes. NetlinkConntrack (netlink_conntrack.h) is the production adapter; tests use
// tests/fakes/fake_conntrack_table.h. sync/ drives all of it; director/conntrack dumps and deletes.
#include <cstdint>
#include <string>
#include <vector>

#include "common/conntrack/flow.h"
#include "common/conntrack/timeout_limits.h"
#include "common/result.h"

namespace ha::conntrack {

// What became of one update handed to apply().
enum class ApplyOutcome : uint8_t {
  kCreated,
  kUpdated,
  kRemoved,
  kMissing,  // a remove of an entry that was not there (already gone: not an error)
  kExists,   // a kCreate met an entry with its original or reply tuple (EEXIST): left alone
  kFailed,   // refused by the kernel
};

struct ApplyReport {
  uint64_t created = 0;  // new entries, with their NAT bindings
  uint64_t updated = 0;  // existing entries: state, status and timeout refreshed
  uint64_t removed = 0;
  uint64_t missing = 0;
  uint64_t exists = 0;
  uint64_t failed = 0;  // firstError says why
  std::string firstError;
  std::vector<ApplyOutcome> outcomes;  // one per update, in order
  void count(ApplyOutcome outcome);    // appends to outcomes and counts
};

inline void ApplyReport::count(ApplyOutcome outcome) {
  outcomes.push_back(outcome);
  switch (outcome) {
    case ApplyOutcome::kCreated:
      ++created;
      break;
    case ApplyOutcome::kUpdated:
      ++updated;
      break;
    case ApplyOutcome::kRemoved:
      ++removed;
      break;
    case ApplyOutcome::kMissing:
      ++missing;
      break;
    case ApplyOutcome::kExists:
      ++exists;
      break;
    case ApplyOutcome::kFailed:
      ++failed;
      break;
  }
}

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
  // entry.mark, or, when it exists, updates its TCP state, status bits and timeout. Same batch
  // twice leaves the same table. A kCreate only creates: an existing entry is never changed
  // (kExists). A remove deletes by original tuple.
  virtual ApplyReport apply(const std::vector<FlowUpdate>& updates) = 0;
  // Whether each entry's original tuple is in the table (a read: nothing changes). When the
  // kernel cannot answer, true.
  virtual std::vector<bool> present(const std::vector<FlowEntry>& entries) = 0;
  // This node's conntrack timeouts (the sysctls of the network namespace the port runs in); read
  // anew on each call.
  virtual TimeoutLimits timeoutLimits() = 0;
  // Readable when events are queued (watched by the sync io_context); -1 if there are no events.
  virtual int eventFd() const = 0;
  // Reads what is queued without blocking. Appends new / changed (kUpsert) and destroyed (kRemove)
  // entries of our flows, except those caused by this port's own apply().
  virtual Result<EventRead> readEvents(std::vector<FlowUpdate>& out) = 0;
};

}  // namespace ha::conntrack
