#include "common/ownership/ownership_ledger.h"

#include <utility>

#include "common/log.h"

namespace ha {

OwnershipLedger::OwnershipLedger(Ledger initial, std::unique_ptr<LedgerSink> sink)
    : ledger_(std::move(initial)), sink_(std::move(sink)) {}

void OwnershipLedger::persist(bool changed) {
  if (!changed || !sink_) return;
  // A failed save does not stop the kernel change: refusing a VIP because /run is full would turn
  // a bookkeeping problem into an outage. It is logged, and the next change saves everything.
  if (auto st = sink_->save(ledger_); !st) {
    ++saveFailures_;
    log::error("state file not updated (what we hold may outlive a crash): " + st.error());
  }
}

void OwnershipLedger::recordAddress(const OwnedAddress& address, AddressRole role) {
  std::lock_guard lock(mu_);
  persist(ha::recordAddress(ledger_, address, role));
}

void OwnershipLedger::forgetAddress(const OwnedAddress& address) {
  std::lock_guard lock(mu_);
  persist(ha::forgetAddress(ledger_, address));
}

bool OwnershipLedger::listsAddress(const OwnedAddress& address) const {
  std::lock_guard lock(mu_);
  return findAddress(ledger_, address) != nullptr;
}

void OwnershipLedger::recordTable(const LedgerTable& table) {
  std::lock_guard lock(mu_);
  persist(ha::recordTable(ledger_, table));
}

void OwnershipLedger::forgetTable(const LedgerTable& table) {
  std::lock_guard lock(mu_);
  persist(ha::forgetTable(ledger_, table));
}

void OwnershipLedger::forgetRoute(const LedgerRoute& route) {
  std::lock_guard lock(mu_);
  persist(ha::forgetRoute(ledger_, route));
}

Ledger OwnershipLedger::snapshot() const {
  std::lock_guard lock(mu_);
  return ledger_;
}

Status OwnershipLedger::eraseIfEmpty() {
  std::lock_guard lock(mu_);
  if (!ledger_.empty()) return Error{"the state file still lists what we hold; kept"};
  if (!sink_) return okStatus();
  return sink_->erase();
}

uint64_t OwnershipLedger::saveFailures() const {
  std::lock_guard lock(mu_);
  return saveFailures_;
}

}  // namespace ha
