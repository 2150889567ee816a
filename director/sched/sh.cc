// sh: source hashing (net/netfilter/ipvs/ip_vs_sh.c). A fixed table of buckets filled by
// ip_vs_sh_reassign(); the kernel then maps a flow to a bucket by jhash instead of IPVS's own
// address hash, so only the bucket shares, not bucket numbers, can match IPVS.
#include "director/sched/builtin.h"
#include "director/sched/weights.h"

namespace ha::director {
namespace {

constexpr uint32_t kShTabSize = 256;  // IP_VS_SH_TAB_SIZE (1 << IP_VS_SH_TAB_BITS, default 8)

class SourceHashing final : public Scheduler {
 public:
  std::string_view name() const override { return "sh"; }
  SlotPick pick() const override { return SlotPick::kFlowHash; }

  SlotTable build(std::span<const SchedReal> reals, const SchedulerParams&) const override {
    SlotTable table{.pick = pick(), .slots = {}};
    std::vector<uint32_t> configured;
    configured.reserve(reals.size());
    for (const SchedReal& r : reals) configured.push_back(r.weight);
    // Deliberate deviation: IPVS feeds raw weights to the loop below, so weights summing past 256
    // starve the later reals (300:1 gives the second real nothing) and {100, 100} splits 156:100.
    // Dividing by the gcd and fitting the sum into the table keeps the shares proportional; for
    // coprime weights summing to <= 256 (the usual case) the table is bucket-for-bucket IPVS's.
    std::vector<uint32_t> weights = fitWeights(configured, kShTabSize);
    size_t live = 0;
    for (uint32_t w : weights) live += w > 0 ? 1 : 0;
    if (live == 0) return table;
    // ip_vs_sh_reassign(): walk the dests in list order, each taking `weight` consecutive buckets
    // (d_count), wrapping round the list until all buckets are filled. With more than 256 reals,
    // the ones past the 256th get no bucket, as in IPVS.
    table.slots.reserve(kShTabSize);
    size_t i = 0;
    uint32_t count = 0;
    while (table.slots.size() < kShTabSize) {
      if (weights[i] == 0) {
        i = (i + 1) % weights.size();
        continue;
      }
      table.slots.push_back(static_cast<uint32_t>(i));
      if (++count >= weights[i]) {
        i = (i + 1) % weights.size();
        count = 0;
      }
    }
    return table;
  }
};

}  // namespace

const Scheduler& shScheduler() {
  static const SourceHashing kInstance;
  return kInstance;
}

}  // namespace ha::director
