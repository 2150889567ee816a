#pragma once
// DriftMonitor on a NETLINK_NETFILTER socket subscribed to NFNLGRP_NFTABLES. A socket filter drops
// the notifications of our own writer's socket in the kernel, so applying 100k elements does not
// flood this queue; anything lost still comes back as an overrun.
#include <memory>
#include <vector>

#include "director/nft/drift_monitor.h"

struct mnl_socket;

namespace ha::director::nft {

class NetlinkDriftMonitor final : public DriftMonitor {
 public:
  // `ourPortId`: the NetlinkNftWriter's socket (its changes are not drift).
  static Result<std::unique_ptr<NetlinkDriftMonitor>> open(std::vector<TableId> ours,
                                                           uint32_t ourPortId);
  ~NetlinkDriftMonitor() override;
  NetlinkDriftMonitor(const NetlinkDriftMonitor&) = delete;
  NetlinkDriftMonitor& operator=(const NetlinkDriftMonitor&) = delete;

  int fd() const override;
  Result<DriftRead> read(std::vector<Drift>& out) override;

 private:
  NetlinkDriftMonitor(mnl_socket* socket, DriftDetector detector);

  mnl_socket* socket_;
  DriftDetector detector_;
  std::vector<char> buffer_;
};

}  // namespace ha::director::nft
