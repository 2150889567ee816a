// wrr: weighted round robin (net/netfilter/ipvs/ip_vs_wrr.c), unrolled into one full cycle of
// slots that numgen inc mod N replays.
#include <algorithm>

#include "director/sched/builtin.h"
#include "director/sched/weights.h"

namespace ha::director {
namespace {

// Longest cycle we install as map elements. A longer cycle is scaled down by fitWeights(): each
// real's share of new flows is then off by under (1 + k) / (4096 - k), k being the number of tiny
// weights lifted to one slot -- under 0.025% per real when k = 0.
constexpr uint32_t kMaxWrrCycle = 4096;

class WeightedRoundRobin final : public Scheduler {
 public:
  std::string_view name() const override { return "wrr"; }
  SlotPick pick() const override { return SlotPick::kRotation; }

  SlotTable build(std::span<const SchedReal> reals, const SchedulerParams&) const override {
    SlotTable table{.pick = pick(), .slots = {}};
    std::vector<uint32_t> configured;
    configured.reserve(reals.size());
    for (const SchedReal& r : reals) configured.push_back(r.weight);
    // Dividing by the gcd is IPVS's own step (mark->di); after it the gcd is 1.
    std::vector<uint32_t> weights = fitWeights(configured, kMaxWrrCycle);
    uint32_t maxWeight = weights.empty() ? 0 : *std::max_element(weights.begin(), weights.end());
    // ip_vs_wrr_schedule(): the current weight cw starts at the maximum weight and drops by the gcd
    // (here 1) each time the scan wraps; a dest is chosen when its weight >= cw. (Init sets
    // mw = max - (di - 1) so cw counts down to 1 rather than to di; with weights multiples of di
    // the same dests pass at every level.) Scanning every level in list order is the kernel's
    // sequence from a fresh service (cl = list head). One cycle = sum(weights) / gcd slots.
    for (uint32_t cw = maxWeight; cw > 0; --cw) {
      for (size_t i = 0; i < weights.size(); ++i) {
        if (weights[i] >= cw) table.slots.push_back(static_cast<uint32_t>(i));
      }
    }
    return table;
  }
};

}  // namespace

const Scheduler& wrrScheduler() {
  static const WeightedRoundRobin kInstance;
  return kInstance;
}

}  // namespace ha::director
