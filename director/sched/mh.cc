// mh: Maglev hashing (net/netfilter/ipvs/ip_vs_mh.c; Maglev, NSDI'16 §3.4). Each real's
// permutation depends only on its address and port (fixed-seed jhash, see maglev.h), so every
// director of the fleet builds the same table for the same set of reals.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <numeric>

#include "director/sched/builtin.h"
#include "director/sched/maglev.h"

namespace ha::director {
namespace {

class MaglevHashing final : public Scheduler {
 public:
  std::string_view name() const override { return "mh"; }
  SlotPick pick() const override { return SlotPick::kFlowHash; }

  SlotTable build(std::span<const SchedReal> reals, const SchedulerParams& params) const override {
    SlotTable table{.pick = pick(), .slots = {}};
    uint32_t m = params.maglevTableSize == 0 ? kDefaultMaglevTableSize : params.maglevTableSize;
    // The config parser refuses non-prime sizes; a full permutation per backend needs M prime.
    if (!isPrime(m)) {
      std::fprintf(stderr, "mh: table size %u is not prime\n", m);
      std::abort();
    }
    // Population order is by (address, port), never the caller's order: the table must be a pure
    // function of the set of reals, so reordering the config does not move flows.
    std::vector<size_t> order(reals.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      if (reals[a].address != reals[b].address) return reals[a].address < reals[b].address;
      return reals[a].port < reals[b].port;
    });
    std::vector<MaglevPermutation> permutations;
    std::vector<uint32_t> weights;
    permutations.reserve(order.size());
    weights.reserve(order.size());
    for (size_t i : order) {
      permutations.push_back(maglevPermutation(reals[i].address, reals[i].port, m));
      weights.push_back(reals[i].weight);
    }
    table.slots = populateMaglev(permutations, weights, m);
    for (uint32_t& slot : table.slots) slot = static_cast<uint32_t>(order[slot]);
    return table;
  }
};

}  // namespace

const Scheduler& mhScheduler() {
  static const MaglevHashing kInstance;
  return kInstance;
}

}  // namespace ha::director
