#include "common/ownership/ownership_ledger.h"

#include <algorithm>
#include <utility>

#include "common/log.h"

namespace ha {
namespace {

// Rewrite once the appended lines exceed both this and the number of items held.
constexpr size_t kMinJournalLines = 64;

size_t items(const Ledger& l) {
  return l.addresses.size() + l.tables.size() + l.routes.size() + l.routing.size();
}

}  // namespace

OwnershipLedger::OwnershipLedger(Ledger initial, std::unique_ptr<LedgerSink> sink)
    : ledger_(std::move(initial)), sink_(std::move(sink)) {}

Status OwnershipLedger::saveAll() {
  auto st = sink_->save(ledger_);
  stored_ = st.ok();
  appendedLines_ = 0;
  return st;
}

void OwnershipLedger::persist(const std::string& line) {
  if (!sink_) return;
  Status st = okStatus();
  if (!stored_ || appendedLines_ >= std::max(kMinJournalLines, items(ledger_))) {
    st = saveAll();
  } else {
    st = sink_->append(line);
    if (st) {
      ++appendedLines_;
    } else {
      st = saveAll();  // the file went missing or is unwritable: rewrite it whole, now
    }
  }
  // A failed save does not stop the kernel change: refusing a VIP because /run is full would turn
  // a bookkeeping problem into an outage. It is logged, and the next change saves everything.
  if (!st) {
    ++saveFailures_;
    log::error("state file not updated (what we hold may outlive a crash): " + st.error());
  }
}

void OwnershipLedger::recordAddress(const OwnedAddress& address, AddressRole role) {
  std::lock_guard lock(mu_);
  if (ha::recordAddress(ledger_, address, role)) persist(addressLine({address, role}));
}

void OwnershipLedger::forgetAddress(const OwnedAddress& address) {
  std::lock_guard lock(mu_);
  if (ha::forgetAddress(ledger_, address)) persist(forgetAddressLine(address));
}

bool OwnershipLedger::listsAddress(const OwnedAddress& address) const {
  std::lock_guard lock(mu_);
  return findAddress(ledger_, address) != nullptr;
}

void OwnershipLedger::recordTable(const LedgerTable& table) {
  std::lock_guard lock(mu_);
  if (ha::recordTable(ledger_, table)) persist(tableLine(table));
}

void OwnershipLedger::forgetTable(const LedgerTable& table) {
  std::lock_guard lock(mu_);
  if (ha::forgetTable(ledger_, table)) persist(forgetTableLine(table));
}

void OwnershipLedger::forgetRoute(const LedgerRoute& route) {
  std::lock_guard lock(mu_);
  if (ha::forgetRoute(ledger_, route)) persist(forgetRouteLine(route));
}

void OwnershipLedger::recordRouting(const RoutingEntry& entry, AddressRole role) {
  std::lock_guard lock(mu_);
  if (ha::recordRouting(ledger_, entry, role)) persist(routingLine({entry, role}));
}

void OwnershipLedger::forgetRouting(const RoutingEntry& entry) {
  std::lock_guard lock(mu_);
  if (ha::forgetRouting(ledger_, entry)) persist(forgetRoutingLine(entry));
}

bool OwnershipLedger::listsRouting(const RoutingEntry& entry) const {
  std::lock_guard lock(mu_);
  return findRouting(ledger_, entry) != nullptr;
}

Ledger OwnershipLedger::snapshot() const {
  std::lock_guard lock(mu_);
  return ledger_;
}

Status OwnershipLedger::compact() {
  std::lock_guard lock(mu_);
  if (!sink_) return okStatus();
  auto st = saveAll();
  if (!st) ++saveFailures_;
  return st;
}

Status OwnershipLedger::eraseIfEmpty() {
  std::lock_guard lock(mu_);
  if (!ledger_.empty()) return Error{"the state file still lists what we hold; kept"};
  if (!sink_) return okStatus();
  stored_ = false;
  return sink_->erase();
}

uint64_t OwnershipLedger::saveFailures() const {
  std::lock_guard lock(mu_);
  return saveFailures_;
}

}  // namespace ha
