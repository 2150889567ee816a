#include "common/ownership/recording_address_owner.h"

#include <utility>

namespace ha {

RecordingAddressOwner::RecordingAddressOwner(std::unique_ptr<AddressOwner> inner,
                                             std::shared_ptr<OwnershipLedger> ledger, AddressRole role)
    : inner_(std::move(inner)), ledger_(std::move(ledger)), role_(role) {}

Status RecordingAddressOwner::add(const OwnedAddress& address) {
  if (inner_->owns(address)) return inner_->add(address);
  const bool listed = ledger_->listsAddress(address);
  ledger_->recordAddress(address, role_);
  // Listed: a predecessor added it, so EEXIST means ours, not someone else's.
  Status st = listed ? inner_->claim(address) : inner_->add(address);
  // Present already and not listed (someone else's), or not added at all: not ours to record.
  if (!listed && !inner_->owns(address)) ledger_->forgetAddress(address);
  return st;
}

Status RecordingAddressOwner::claim(const OwnedAddress& address) {
  if (inner_->owns(address)) return inner_->claim(address);
  const bool listed = ledger_->listsAddress(address);
  ledger_->recordAddress(address, role_);
  Status st = inner_->claim(address);
  // A listed address that failed here may still be in the kernel from before: keep it listed.
  if (!listed && !inner_->owns(address)) ledger_->forgetAddress(address);
  return st;
}

Status RecordingAddressOwner::remove(const OwnedAddress& address) {
  Status st = okStatus();
  if (inner_->owns(address)) {
    st = inner_->remove(address);
  } else if (ledger_->listsAddress(address)) {
    st = inner_->purge(address);  // a predecessor's, never adopted: still ours to remove
  } else {
    return okStatus();  // not ours: leave it alone
  }
  if (st && !inner_->owns(address)) ledger_->forgetAddress(address);
  return st;
}

Status RecordingAddressOwner::purge(const OwnedAddress& address) {
  Status st = inner_->purge(address);
  if (st) ledger_->forgetAddress(address);
  return st;
}

}  // namespace ha
