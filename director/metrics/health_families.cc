// Health checks: each real's verdict and each of its checkers, on the ipvs backend labels.
#include <string>

#include "director/metrics/families.h"

namespace ha::director::metrics {

void addHealth(const DirectorSnapshot& snapshot, FamilySet& out) {
  for (const ServiceSnapshot& service : snapshot.services) {
    for (const RealSnapshot& real : service.reals) {
      const Labels backend = backendLabels(service, real);
      out.add(kHealthRealUp, backend, real.real.healthy ? 1.0 : 0.0);
      if (!real.health) continue;
      for (const healthcheck::CheckerStatus& checker : real.health->checkers) {
        const Labels labels = with(with(backend, "kind", checker.kind), "target", checker.target);
        out.add(kHealthCheckerUp, labels, checker.up ? 1.0 : 0.0);
        out.add(kHealthProbes, labels, checker.probes);
        out.add(kHealthInconclusive, labels, checker.inconclusive);
        for (const auto& [reason, count] : checker.failuresByReason) {
          out.add(kHealthFailures, with(labels, "reason", reason), count);
        }
      }
    }
  }
  for (const auto& [kind, histogram] : snapshot.probeLatencyByKind) {
    out.addHistogram(kHealthProbeDuration, {{"kind", kind}}, histogram);
  }
  out.add(kHealthProbesInFlight, {}, snapshot.probesInFlight);
  out.add(kHealthDistinctProbes, {}, snapshot.distinctProbes);
}

}  // namespace ha::director::metrics
