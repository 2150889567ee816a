#include "tests/fakes/fake_conntrack_table.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

namespace ha::sync {

FakeConntrackTable::FakeConntrackTable() : eventFd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

FakeConntrackTable::~FakeConntrackTable() {
  if (eventFd_ >= 0) close(eventFd_);
}

Result<std::vector<FlowEntry>> FakeConntrackTable::dump() {
  if (!dumpError_.empty()) {
    std::string message = std::move(dumpError_);
    dumpError_.clear();
    return Error{message};
  }
  return entries();
}

bool FakeConntrackTable::replyTaken(const FlowEntry& entry) const {
  for (const auto& [key, other] : table_) {
    if (other.l4proto == entry.l4proto && other.reply == entry.reply) return true;
  }
  return false;
}

ApplyReport FakeConntrackTable::apply(const std::vector<FlowUpdate>& updates) {
  ++applyCalls_;
  ApplyReport report;
  auto failed = [&report](const FlowEntry& e, const std::string& why) {
    report.count(ApplyOutcome::kFailed);
    if (report.firstError.empty()) report.firstError = describe(e) + ": " + why;
  };
  for (const FlowUpdate& u : updates) {
    if (failNext_ > 0) {
      --failNext_;
      failed(u.entry, failMessage_);
      continue;
    }
    auto it = table_.find(u.entry.key());
    if (u.op == FlowOp::kRemove) {
      if (it == table_.end()) {
        report.count(ApplyOutcome::kMissing);
      } else {
        table_.erase(it);
        report.count(ApplyOutcome::kRemoved);
      }
      continue;
    }
    if (it == table_.end()) {
      if (replyTaken(u.entry)) {
        // EEXIST from the create; an upsert's update then finds no entry by this original tuple.
        if (u.op == FlowOp::kCreate) report.count(ApplyOutcome::kExists);
        else failed(u.entry, "reply tuple already used by another entry");
        continue;
      }
      FlowEntry created = u.entry;
      created.status &= kSyncedStatusBits;
      table_.emplace(created.key(), created);
      report.count(ApplyOutcome::kCreated);
      continue;
    }
    if (u.op == FlowOp::kCreate) {  // EEXIST, and a create-only write stops there
      report.count(ApplyOutcome::kExists);
      continue;
    }
    FlowEntry& existing = it->second;  // tuples stay: NAT bindings of an entry never change
    if (u.entry.tcpState != 0) existing.tcpState = u.entry.tcpState;
    existing.status |= u.entry.status & kSyncedStatusBits;
    if (u.entry.timeoutSeconds != 0) existing.timeoutSeconds = u.entry.timeoutSeconds;
    existing.mark = u.entry.mark;
    report.count(ApplyOutcome::kUpdated);
  }
  return report;
}

std::vector<bool> FakeConntrackTable::present(const std::vector<FlowEntry>& entries) {
  std::vector<bool> out;
  for (const FlowEntry& e : entries) out.push_back(table_.count(e.key()) != 0);
  return out;
}

Result<EventRead> FakeConntrackTable::readEvents(std::vector<FlowUpdate>& out) {
  EventRead read;
  read.overrun = overrun_;
  overrun_ = false;
  out.insert(out.end(), events_.begin(), events_.end());
  events_.clear();
  if (eventFd_ >= 0) {
    uint64_t count = 0;
    (void)!::read(eventFd_, &count, sizeof count);  // EAGAIN when nothing was signalled
  }
  return read;
}

void FakeConntrackTable::pushEvent(const FlowUpdate& update) {
  events_.push_back(update);
  signal();
}

void FakeConntrackTable::signal() {
  if (eventFd_ < 0) return;
  const uint64_t one = 1;
  (void)!::write(eventFd_, &one, sizeof one);
}

std::vector<FlowEntry> FakeConntrackTable::entries() const {
  std::vector<FlowEntry> out;
  out.reserve(table_.size());
  for (const auto& [key, entry] : table_) out.push_back(entry);
  return out;
}

void FakeConntrackTable::failNext(size_t n, std::string message) {
  failNext_ = n;
  failMessage_ = std::move(message);
}

}  // namespace ha::sync
