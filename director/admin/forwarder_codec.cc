#include "director/admin/admin_codec.h"

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
  return out;
}

ForwarderStatus fromForwarderReply(const directord::admin::ForwarderReply& reply) {
  ForwarderStatus status;
  status.tables.assign(reply.tables().begin(), reply.tables().end());
  status.ownerWanted = reply.owner_wanted();
  status.ownerInKernel = reply.owner_in_kernel();
  status.watching = reply.watching();
  status.drifts = reply.drifts();
  status.repairs = reply.repairs();
  status.repairFailures = reply.repair_failures();
  status.repairPending = reply.repair_pending();
  status.lastDrift = reply.last_drift();
  if (reply.has_last_drift_age_ms()) status.lastDriftAgeMs = reply.last_drift_age_ms();
  if (reply.has_last_repair_ms()) status.lastRepairMs = reply.last_repair_ms();
  status.lastRepairError = reply.last_repair_error();
  status.crossThreadTimeouts = reply.cross_thread_timeouts();
  return status;
}

}  // namespace ha::director
