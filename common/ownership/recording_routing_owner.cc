#include "common/ownership/recording_routing_owner.h"

#include <utility>

namespace ha {

RecordingRoutingOwner::RecordingRoutingOwner(std::unique_ptr<RoutingOwner> inner,
                                             std::shared_ptr<OwnershipLedger> ledger,
                                             AddressRole role)
    : inner_(std::move(inner)), ledger_(std::move(ledger)), role_(role) {}

Result<RoutingOwner::Added> RecordingRoutingOwner::add(const RoutingEntry& entry) {
  if (inner_->owns(entry)) return inner_->add(entry);
  if (ledger_->listsRouting(entry)) {
    // A predecessor installed it: EEXIST means ours, not someone else's.
    ledger_->recordRouting(entry, role_);
    if (auto st = inner_->claim(entry); !st) return Error{st.error()};
    return Added::kInstalled;
  }
  ledger_->recordRouting(entry, role_);
  auto added = inner_->add(entry);
  // Found present (someone else's) or not added at all: not ours to record.
  if (!inner_->owns(entry)) ledger_->forgetRouting(entry);
  return added;
}

Status RecordingRoutingOwner::claim(const RoutingEntry& entry) {
  if (inner_->owns(entry)) return inner_->claim(entry);
  const bool listed = ledger_->listsRouting(entry);
  ledger_->recordRouting(entry, role_);
  Status st = inner_->claim(entry);
  // A listed entry that failed here may still be in the kernel from before: keep it listed.
  if (!listed && !inner_->owns(entry)) ledger_->forgetRouting(entry);
  return st;
}

Status RecordingRoutingOwner::remove(const RoutingEntry& entry) {
  Status st = okStatus();
  if (inner_->owns(entry)) {
    st = inner_->remove(entry);
  } else if (ledger_->listsRouting(entry)) {
    st = inner_->purge(entry);  // a predecessor's, never adopted: still ours to remove
  } else {
    return okStatus();  // not ours: leave it alone
  }
  if (st && !inner_->owns(entry)) ledger_->forgetRouting(entry);
  return st;
}

Status RecordingRoutingOwner::purge(const RoutingEntry& entry) {
  Status st = inner_->purge(entry);
  if (st) ledger_->forgetRouting(entry);
  return st;
}

}  // namespace ha
