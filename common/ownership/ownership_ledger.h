#pragma once
// The running node's ledger, shared by the threads that change the kernel (the director thread for
// tables and static_ipaddress, the VRRP thread for virtual addresses) and persisted on every change
// through a LedgerSink (the state file in production).
//
// Callers record an addition BEFORE making it and forget a removal AFTER making it, so a kill at
// any point leaves the stored ledger a superset of what we hold: the next start may try to remove
// something already gone, but never leaves behind something of ours.
//
// A change is one appended line (constant cost, whatever the size); the whole ledger is rewritten
// (atomically) when the appended lines outgrow it, so the file stays about the size of what we hold.
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/ownership/ledger.h"
#include "common/result.h"

namespace ha {

class LedgerSink {
 public:
  virtual ~LedgerSink() = default;
  // Replaces what is stored with `ledger`, atomically (a reader sees the old or the new one).
  virtual Status save(const Ledger& ledger) = 0;
  // Appends one change line (ledger.h) to what is stored, in one write.
  virtual Status append(std::string_view line) = 0;
  // Removes what is stored: nothing of ours is left to reclaim.
  virtual Status erase() = 0;
};

class OwnershipLedger {
 public:
  // `initial` is what is in the kernel on our account now (the predecessor's ledger, or empty).
  // Nothing is stored until the first change or compact().
  OwnershipLedger(Ledger initial, std::unique_ptr<LedgerSink> sink);

  void recordAddress(const OwnedAddress& address, AddressRole role);
  void forgetAddress(const OwnedAddress& address);
  bool listsAddress(const OwnedAddress& address) const;
  void recordTable(const LedgerTable& table);
  void forgetTable(const LedgerTable& table);
  void forgetRoute(const LedgerRoute& route);
  void recordRouting(const RoutingEntry& entry, AddressRole role);
  void forgetRouting(const RoutingEntry& entry);
  bool listsRouting(const RoutingEntry& entry) const;
  Ledger snapshot() const;

  // Rewrites the stored ledger as it is now (start-up: the predecessor's journal, restamped).
  Status compact();
  // Clean stop: once everything listed is gone, the stored ledger goes too. Refused (and nothing
  // erased) while something is still listed.
  Status eraseIfEmpty();
  // Saves that failed (logged each time): the stored ledger then lags until the next full save.
  uint64_t saveFailures() const;

 private:
  // With mu_ held, after a change to ledger_: appends `line`, or rewrites everything when nothing
  // is stored yet, the last write failed, or the journal outgrew the ledger.
  void persist(const std::string& line);
  Status saveAll();

  mutable std::mutex mu_;
  Ledger ledger_;
  std::unique_ptr<LedgerSink> sink_;
  bool stored_ = false;      // the sink holds a full ledger we wrote, plus appends
  size_t appendedLines_ = 0;  // since that full save
  uint64_t saveFailures_ = 0;
};

}  // namespace ha
