// The forwarder's hold on nf_tables, and the conntrack table it forwards through.
#include "director/metrics/families.h"

namespace ha::director::metrics {

void addForwarder(const ForwarderStatus& status, FamilySet& out) {
  out.add(kCommits, {}, status.commits);
  out.add(kCommitFailures, {}, status.commitFailures);
  out.addHistogram(kCommitDuration, {}, status.commitLatency);
  out.add(kDrifts, {}, status.drifts);
  out.add(kDriftRepairs, {}, status.repairs);
  out.add(kDriftRepairFailures, {}, status.repairFailures);
  out.add(kCrossThreadTimeouts, {}, status.crossThreadTimeouts);
  for (const auto& [event, value] : status.datapathCounters)
    out.add(kDatapathPackets, {{"event", event}}, value);
}

void addConntrack(const ConntrackStatus& status, FamilySet& out) {
  // No sample read yet (or the last read failed from the start): nothing to say.
  if (!status.kernel) return;
  const ConntrackStats& kernel = *status.kernel;
  out.add(kConntrackEntries, {}, kernel.entries);
  out.add(kConntrackMax, {}, kernel.max);
  out.add(kConntrackDrops, {}, kernel.drop);
  out.add(kConntrackEarlyDrops, {}, kernel.earlyDrop);
  out.add(kConntrackPressure, {}, status.pressure.empty() ? 0.0 : 1.0);
}

}  // namespace ha::director::metrics
