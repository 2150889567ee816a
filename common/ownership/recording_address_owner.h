#pragma once
// An AddressOwner that keeps the ownership ledger in step with another AddressOwner: every
// address is recorded before it is added and forgotten after it is removed. The director wraps
// its static_ipaddress owner in one, the composition root hands vrrp/ one (role kVrrp) through
// vrrp::AddressOwnerFactory, so vrrp/ never sees the ledger.
//
// The ledger also widens "ours": an address it lists was added by us (by this process or a
// predecessor that crashed), so add() claims it even when the kernel already has it (EEXIST), and
// remove() takes it away even if this process never added it.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/netlink/address_owner.h"
#include "common/ownership/ownership_ledger.h"

namespace ha {

class RecordingAddressOwner final : public AddressOwner {
 public:
  RecordingAddressOwner(std::unique_ptr<AddressOwner> inner, std::shared_ptr<OwnershipLedger> ledger,
                        AddressRole role);

  Status add(const OwnedAddress& address) override;
  Status remove(const OwnedAddress& address) override;
  Status claim(const OwnedAddress& address) override;
  Status purge(const OwnedAddress& address) override;
  std::vector<OwnedAddress> owned() const override { return inner_->owned(); }
  bool owns(const OwnedAddress& address) const override { return inner_->owns(address); }
  Result<uint32_t> ifindex(const std::string& dev) override { return inner_->ifindex(dev); }

 private:
  std::unique_ptr<AddressOwner> inner_;
  std::shared_ptr<OwnershipLedger> ledger_;
  AddressRole role_;
};

}  // namespace ha
