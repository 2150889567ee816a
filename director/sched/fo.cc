// fo: weighted failover (net/netfilter/ipvs/ip_vs_fo.c): the available real with the highest
// weight takes every new connection; the first of equals in list order. One slot, so a health
// flip or a weight change re-points it and existing flows stay where they are, as in IPVS.
#include "director/sched/builtin.h"

namespace ha::director {
namespace {

class WeightedFailover final : public Scheduler {
 public:
  std::string_view name() const override { return "fo"; }
  SlotPick pick() const override { return SlotPick::kRotation; }

  SlotTable build(std::span<const SchedReal> reals, const SchedulerParams&) const override {
    SlotTable table{.pick = pick(), .slots = {}};
    uint32_t highestWeight = 0;
    for (size_t i = 0; i < reals.size(); ++i) {
      if (reals[i].weight > highestWeight) {
        highestWeight = reals[i].weight;
        table.slots = {static_cast<uint32_t>(i)};
      }
    }
    return table;
  }
};

}  // namespace

const Scheduler& foScheduler() {
  static const WeightedFailover kInstance;
  return kInstance;
}

}  // namespace ha::director
