#pragma once
// The running node's ledger, shared by the threads that change the kernel (the director thread for
// tables and static_ipaddress, the VRRP thread for virtual addresses) and persisted on every change
// through a LedgerSink (the state file in production).
//
// Callers record an addition BEFORE making it and forget a removal AFTER making it, so a crash
// between the two leaves the ledger a superset of what we hold: the next start may try to remove
// something already gone, but never leaves behind something of ours.
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "common/ownership/ledger.h"
#include "common/result.h"

namespace ha {

class LedgerSink {
 public:
  virtual ~LedgerSink() = default;
  // Replaces what is stored with `ledger`, atomically (a reader sees the old or the new one).
  virtual Status save(const Ledger& ledger) = 0;
  // Removes what is stored: nothing of ours is left to reclaim.
  virtual Status erase() = 0;
};

class OwnershipLedger {
 public:
  // `initial` is what is in the kernel on our account now (the predecessor's ledger, or empty).
  OwnershipLedger(Ledger initial, std::unique_ptr<LedgerSink> sink);

  void recordAddress(const OwnedAddress& address, AddressRole role);
  void forgetAddress(const OwnedAddress& address);
  bool listsAddress(const OwnedAddress& address) const;
  void recordTable(const LedgerTable& table);
  void forgetTable(const LedgerTable& table);
  void forgetRoute(const LedgerRoute& route);
  Ledger snapshot() const;

  // Clean stop: once everything listed is gone, the stored ledger goes too. Refused (and nothing
  // erased) while something is still listed.
  Status eraseIfEmpty();
  // Saves that failed (logged each time): the ledger then lags the kernel until the next save.
  uint64_t saveFailures() const;

 private:
  // With mu_ held; saves only when `changed`.
  void persist(bool changed);

  mutable std::mutex mu_;
  Ledger ledger_;
  std::unique_ptr<LedgerSink> sink_;
  uint64_t saveFailures_ = 0;
};

}  // namespace ha
