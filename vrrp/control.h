#pragma once
// How the director drives VRRP: the whole of vrrp/ as seen from another thread. vrrp::Service is
// the production implementation (its own io_context thread); every call is posted there.
#include "common/result.h"
#include "vrrp/router.h"
#include "vrrp/vrrp_config.h"

namespace ha::vrrp {

class Control {
 public:
  virtual ~Control() = default;
  // Blocks until the VRRP thread applied it; a refusal names each instance and changes nothing.
  virtual Status apply(const VrrpConfig& config) = 0;
  // Masters hand over (priority 0) and release their addresses; blocks until done.
  virtual void shutdown() = 0;
  virtual RouterSnapshot snapshot() = 0;
};

}  // namespace ha::vrrp
