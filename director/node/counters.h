#pragma once
// Turns the kernel's counters (conntrack accounting folded per real, the DR slot counters,
// conntrack's connection states) into the per-service / per-real numbers `directorctl list
// --stats` prints, and keeps ipvsadm -Z's baselines. Pure.
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "director/conntrack/conntrack_counts.h"
#include "director/conntrack/flow_ledger.h"
#include "director/nft/nft_writer.h"
#include "director/node/director_view.h"
#include "director/plan/forwarding_plan.h"

namespace ha::director {

struct KernelCounters {
  TrafficMap traffic;                        // NAT/FULLNAT: per (service id, real), conntrack
  std::vector<nft::ElementCounter> drStats;  // DR: l4proto . vip . vport . slot (no conntrack)
  ConnCountMap connections;
};

// counters and sinceStart both hold the kernel's totals; baselines and rates come after.
DirectorSnapshot makeSnapshot(const ForwardingPlan& plan, const KernelCounters& counters);

// ipvsadm -Z without resetting the kernel's counters (sync, the ledger and Prometheus read them
// on): the totals at the last zero, per real, subtracted from what `list` shows.
class CounterBaselines {
 public:
  // The reals of `service` (nullopt: every service) restart from zero at their totals in `raw`.
  void zero(const DirectorSnapshot& raw, const std::optional<ServiceKey>& service);
  // counters = sinceStart - baseline (never below zero), service sums recomputed.
  void apply(DirectorSnapshot& snapshot) const;

 private:
  std::map<std::pair<ServiceKey, Endpoint>, TrafficCounters> baselines_;
};

}  // namespace ha::director
