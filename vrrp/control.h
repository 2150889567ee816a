#pragma once
// How the director drives VRRP: the whole of vrrp/ as seen from another thread. vrrp::Service is
// the production implementation (its own io_context thread); every call is posted there.
#include <functional>
#include <string>

#include "common/result.h"
#include "vrrp/router.h"
#include "vrrp/vrrp_config.h"

namespace ha::vrrp {

class Control {
 public:
  virtual ~Control() = default;
  // Blocks until the VRRP thread applied it; a refusal names each instance and changes nothing.
  // A VRRP thread that does not answer in time is an error too (common/post_and_wait.h).
  virtual Status apply(const VrrpConfig& config) = 0;
  // Masters hand over (priority 0) and release their addresses; blocks until done, or logs that
  // the VRRP thread did not answer in time.
  virtual void shutdown() = 0;
  // An error when the VRRP thread does not answer in time.
  virtual Result<RouterSnapshot> snapshot() = 0;
  // A virtual server's health-check quorum for track_virtual_server ("TCP 192.0.2.1:80"); posted,
  // does not wait. Names never reported read as up.
  virtual void setVirtualServerQuorum(const std::string& name, bool up) = 0;
  // Connection sync readiness (sync::ReadinessListener): until true, track_sync instances do not
  // preempt. Posted, does not wait. Starts false.
  virtual void setSyncReady(bool ready) = 0;
  // Runs `work` on this module's io_context thread, posted (does not wait): the watchdog's
  // heartbeat (director/node/watchdog.h), which only a turning loop runs.
  virtual void runOnThread(std::function<void()> work) = 0;
};

}  // namespace ha::vrrp
