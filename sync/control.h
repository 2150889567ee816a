#pragma once
// How the director drives sync: the whole of sync/ as seen from another thread. sync::Service is
// the production implementation (its own io_context thread named "sync"); calls are posted there.
#include <functional>
#include <string>
#include <vector>

#include "common/result.h"
#include "sync/catalog.h"
#include "sync/sync_config.h"
#include "sync/sync_snapshot.h"

namespace ha::sync {

class Control {
 public:
  virtual ~Control() = default;
  // Starts, reconfigures or (enabled = false) stops sync; blocks until applied. Refuses a config
  // it cannot run (unreadable certificates, listen address in use) and then changes nothing.
  // An error too when the sync thread does not answer in time (common/post_and_wait.h).
  virtual Status apply(const SyncConfig& config) = 0;
  // The receiver's view of our services; posted, does not wait. Entries for services missing here
  // are refused.
  virtual void setCatalog(ServiceCatalog catalog) = 0;
  // An error when the sync thread does not answer in time.
  virtual Result<SyncSnapshot> snapshot() = 0;
  // Logs when the sync thread does not answer in time.
  virtual void shutdown() = 0;
  // Runs `work` on this module's io_context thread, posted (does not wait): the watchdog's
  // heartbeat (director/node/watchdog.h), which only a turning loop runs.
  virtual void runOnThread(std::function<void()> work) = 0;
};

// Called on the sync thread when readiness changes: true once every live peer's bulk arrived (or
// the ready timeout ran out), so VRRP instances with track_sync may preempt.
using ReadinessListener = std::function<void(bool ready)>;

}  // namespace ha::sync
