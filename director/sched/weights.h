#pragma once
// Weight arithmetic shared by the weighted schedulers: reduce by the gcd (IPVS's `di`), and scale
// down to a slot budget when the cycle would not fit in it.
#include <cstdint>
#include <span>
#include <vector>

namespace ha::director {

// gcd of the non-zero weights; 0 if there are none.
uint32_t weightGcd(std::span<const uint32_t> weights);

// Weights divided by their gcd; if they still sum past `budget`, scaled down proportionally by
// largest remainder, each kept >= 1, so that the sum is <= budget. Each result differs from its
// exact proportional share of the scaled sum T by under 1 slot, except weights lifted to 1; the
// share error per real is below (1 + lifted) / T. When there are more weights than `budget`, every
// weight becomes 1 and the sum is the count: no real is ever left out. Zero weights stay zero.
std::vector<uint32_t> fitWeights(std::span<const uint32_t> weights, uint32_t budget);

}  // namespace ha::director
