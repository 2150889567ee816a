#include "director/sched/weights.h"

#include <algorithm>
#include <numeric>

namespace ha::director {
namespace {

uint64_t sumOf(std::span<const uint32_t> weights) {
  return std::accumulate(weights.begin(), weights.end(), uint64_t{0});
}

std::vector<uint32_t> dividedByGcd(std::span<const uint32_t> weights) {
  uint32_t g = weightGcd(weights);
  std::vector<uint32_t> out(weights.begin(), weights.end());
  if (g > 1) {
    for (uint32_t& w : out) w /= g;
  }
  return out;
}

// Hamilton's largest-remainder apportionment of `budget` slots, then every non-zero weight lifted
// to at least one slot.
std::vector<uint32_t> apportion(std::span<const uint32_t> weights, uint64_t sum, uint64_t budget) {
  std::vector<uint32_t> out(weights.size());
  std::vector<uint64_t> remainder(weights.size());
  uint64_t given = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    uint64_t exact = uint64_t{weights[i]} * budget;  // < 2^64: both factors < 2^32
    out[i] = static_cast<uint32_t>(exact / sum);
    remainder[i] = exact % sum;
    given += out[i];
  }
  std::vector<size_t> order(weights.size());
  std::iota(order.begin(), order.end(), size_t{0});
  // Ties go to the earlier real so the result is a pure function of the input.
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return remainder[a] > remainder[b]; });
  for (size_t k = 0; given < budget && k < order.size(); ++k, ++given) ++out[order[k]];
  for (size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] > 0 && out[i] == 0) out[i] = 1;
  }
  return out;
}

}  // namespace

uint32_t weightGcd(std::span<const uint32_t> weights) {
  uint32_t g = 0;
  for (uint32_t w : weights) g = std::gcd(g, w);  // gcd(0, w) = w: zeros do not count
  return g;
}

std::vector<uint32_t> fitWeights(std::span<const uint32_t> weights, uint32_t budget) {
  std::vector<uint32_t> reduced = dividedByGcd(weights);
  uint64_t sum = sumOf(reduced);
  if (sum <= budget) return reduced;
  auto live = static_cast<uint64_t>(
      std::count_if(reduced.begin(), reduced.end(), [](uint32_t w) { return w > 0; }));
  if (live >= budget) {
    for (uint32_t& w : reduced) w = w > 0 ? 1 : 0;
    return reduced;
  }
  // Lifting tiny weights to 1 can overshoot the budget by the number lifted; shrink the
  // apportioned budget until the lifted total fits. Terminates: at budget = live every weight is 1.
  for (uint64_t target = budget;; --target) {
    std::vector<uint32_t> scaled = apportion(reduced, sum, target);
    if (sumOf(scaled) <= budget) return dividedByGcd(scaled);
  }
}

}  // namespace ha::director
