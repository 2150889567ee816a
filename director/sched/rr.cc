// rr: round robin (net/netfilter/ipvs/ip_vs_rr.c). IPVS walks the list skipping weight-0 dests;
// here one slot per live real in the given order, and numgen inc mod N does the walking.
#include "director/sched/builtin.h"

namespace ha::director {
namespace {

class RoundRobin final : public Scheduler {
 public:
  std::string_view name() const override { return "rr"; }
  SlotPick pick() const override { return SlotPick::kRotation; }

  SlotTable build(std::span<const SchedReal> reals, const SchedulerParams&) const override {
    SlotTable table{.pick = pick(), .slots = {}};
    for (size_t i = 0; i < reals.size(); ++i) {
      if (reals[i].weight > 0) table.slots.push_back(static_cast<uint32_t>(i));
    }
    return table;
  }
};

}  // namespace

const Scheduler& rrScheduler() {
  static const RoundRobin kInstance;
  return kInstance;
}

}  // namespace ha::director
