#pragma once
// Turns the kernel's counters (dynamic stats sets, service chain counters, conntrack) into the
// per-service / per-real numbers `directorctl list --stats` prints. Pure; keys decoded here follow
// the layouts render.cc writes.
#include <vector>

#include "director/conntrack/conntrack_counts.h"
#include "director/nft/nft_writer.h"
#include "director/node/director_view.h"
#include "director/plan/forwarding_plan.h"

namespace ha::director {

struct KernelCounters {
  std::vector<nft::ElementCounter> stats4, stats6;  // mark . dir . real . port
  std::vector<nft::ElementCounter> conns4, conns6;  // mark . real . port
  std::vector<nft::ElementCounter> drStats;         // mark . real
  ConnCountMap connections;
};

DirectorSnapshot makeSnapshot(const ForwardingPlan& plan, const KernelCounters& counters);

}  // namespace ha::director
