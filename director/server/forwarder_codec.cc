#include "director/server/admin_codec.h"

namespace ha::director {

directord::admin::ForwarderReply toForwarderReply(const ForwarderStatus& status) {
  directord::admin::ForwarderReply out;
  for (const auto& table : status.tables) out.add_tables(table);
  out.set_owner_wanted(status.ownerWanted);
  out.set_owner_in_kernel(status.ownerInKernel);
  out.set_watching(status.watching);
  out.set_drifts(status.drifts);
  out.set_repairs(status.repairs);
  out.set_repair_failures(status.repairFailures);
  out.set_repair_pending(status.repairPending);
  out.set_last_drift(status.lastDrift);
  if (status.lastDriftAgeMs) out.set_last_drift_age_ms(*status.lastDriftAgeMs);
  if (status.lastRepairMs) out.set_last_repair_ms(*status.lastRepairMs);
  out.set_last_repair_error(status.lastRepairError);
  out.set_cross_thread_timeouts(status.crossThreadTimeouts);
  out.set_datapath_loaded(status.datapathLoaded);
  for (const auto& device : status.datapathDevices) out.add_datapath_devices(device);
  for (const auto& [name, value] : status.datapathCounters)
    (*out.mutable_datapath_counters())[name] = value;
  out.set_datapath_error(status.datapathError);
  return out;
}

}  // namespace ha::director
