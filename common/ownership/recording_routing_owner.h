#pragma once
// A RoutingOwner that keeps the ownership ledger in step with another one, as
// RecordingAddressOwner does for addresses: recorded before it is installed, forgotten after it
// is removed, and "ours" widened to what the ledger lists (a killed predecessor's routes and
// rules: add() claims them although the kernel has them, remove() takes them away).
#include <memory>
#include <vector>

#include "common/netlink/routing_owner.h"
#include "common/ownership/ownership_ledger.h"

namespace ha {

class RecordingRoutingOwner final : public RoutingOwner {
 public:
  RecordingRoutingOwner(std::unique_ptr<RoutingOwner> inner,
                        std::shared_ptr<OwnershipLedger> ledger, AddressRole role);

  Result<Added> add(const RoutingEntry& entry) override;
  Status remove(const RoutingEntry& entry) override;
  Status claim(const RoutingEntry& entry) override;
  Status purge(const RoutingEntry& entry) override;
  std::vector<RoutingEntry> owned() const override { return inner_->owned(); }

 private:
  std::unique_ptr<RoutingOwner> inner_;
  std::shared_ptr<OwnershipLedger> ledger_;
  AddressRole role_;
};

}  // namespace ha
