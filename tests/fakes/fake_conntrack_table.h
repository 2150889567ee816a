#pragma once
// An in-memory conntrack table behind ConntrackPort, with the kernel's semantics as
// NetlinkConntrack drives them (measured in tests/netns/test_sync_conntrack.sh):
//  - an upsert of a new flow creates it with both tuples; of an existing flow it refreshes the TCP
//    state (0 = not reported: kept), sets status bits (they are never cleared), timeout and mark,
//    and never touches the tuples (the kernel refuses NAT changes on existing entries);
//  - an upsert whose reply tuple belongs to another flow fails, as in the kernel (EEXIST);
//  - a kCreate of a flow that exists, or whose reply tuple another flow holds, changes nothing and
//    reports kExists (NLM_F_EXCL's EEXIST, with no update after it);
//  - a remove of an absent flow counts as missing.
// Its conntrack timeouts are the kernel's defaults until setTimeoutLimits().
// Its own apply() raises no events (NetlinkConntrack skips its own writes); tests inject the
// events of "packets" with pushEvent() and a lost-events overrun with setOverrun().
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "sync/flow.h"

namespace ha::sync {

class FakeConntrackTable final : public ConntrackPort {
 public:
  FakeConntrackTable();
  ~FakeConntrackTable() override;
  FakeConntrackTable(const FakeConntrackTable&) = delete;
  FakeConntrackTable& operator=(const FakeConntrackTable&) = delete;

  Result<std::vector<FlowEntry>> dump() override;
  ApplyReport apply(const std::vector<FlowUpdate>& updates) override;
  // An eventfd, readable while events are queued; -1 if the system refused one.
  int eventFd() const override { return eventFd_; }
  Result<EventRead> readEvents(std::vector<FlowUpdate>& out) override;
  TimeoutLimits timeoutLimits() override { return limits_; }
  std::vector<bool> present(const std::vector<FlowEntry>& entries) override;
  void setTimeoutLimits(const TimeoutLimits& limits) { limits_ = limits; }

  // Events as packets would cause them: queued for readEvents(). pushEvent does not change the
  // table (call set()/erase() for that): tests decide what the "kernel" did.
  void pushEvent(const FlowUpdate& update);
  void setOverrun() { overrun_ = true; signal(); }
  size_t pending() const { return events_.size(); }

  // The table, ordered by key.
  std::vector<FlowEntry> entries() const;
  void set(const FlowEntry& entry) { table_[entry.key()] = entry; }
  void erase(const FlowKey& key) { table_.erase(key); }
  // The next `n` updates handed to apply() fail with `message`; the next dump() fails if dumpError
  // is set.
  void failNext(size_t n, std::string message);
  void failDump(std::string message) { dumpError_ = std::move(message); }
  size_t applyCalls() const { return applyCalls_; }

 private:
  void signal();
  bool replyTaken(const FlowEntry& entry) const;

  std::map<FlowKey, FlowEntry> table_;
  std::deque<FlowUpdate> events_;
  bool overrun_ = false;
  size_t failNext_ = 0;
  std::string failMessage_;
  std::string dumpError_;
  size_t applyCalls_ = 0;
  TimeoutLimits limits_ = kernelDefaultTimeouts();
  int eventFd_ = -1;
};

}  // namespace ha::sync
