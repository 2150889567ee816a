#include "director/sched/maglev.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <limits>

#include "common/jhash.h"

namespace ha::director {
namespace {

constexpr uint32_t kUnclaimed = std::numeric_limits<uint32_t>::max();

uint32_t backendHash(const IpAddress& address, uint16_t port, uint32_t seed) {
  std::array<uint8_t, 18> key{};  // up to 16 address bytes + 2 port bytes
  size_t n = address.size();
  std::copy_n(address.bytes(), n, key.begin());
  key[n] = static_cast<uint8_t>(port >> 8);
  key[n + 1] = static_cast<uint8_t>(port & 0xff);
  return kernelJhash(key.data(), n + 2, seed);
}

}  // namespace

bool isPrime(uint32_t n) {
  if (n < 2) return false;
  for (uint64_t d = 2; d * d <= n; ++d) {
    if (n % d == 0) return false;
  }
  return true;
}

MaglevPermutation maglevPermutation(const IpAddress& address, uint16_t port, uint32_t tableSize) {
  if (tableSize < 2) std::abort();  // skip is drawn from 1..M-1
  return MaglevPermutation{
      .offset = backendHash(address, port, kMaglevOffsetSeed) % tableSize,
      .skip = backendHash(address, port, kMaglevSkipSeed) % (tableSize - 1) + 1,
  };
}

std::vector<uint32_t> populateMaglev(std::span<const MaglevPermutation> permutations,
                                     std::span<const uint32_t> weights, uint32_t tableSize) {
  if (permutations.size() != weights.size()) std::abort();
  uint64_t maxWeight = 0;
  for (uint32_t w : weights) maxWeight = std::max<uint64_t>(maxWeight, w);
  if (maxWeight == 0 || tableSize == 0) return {};

  const size_t n = permutations.size();
  std::vector<uint32_t> entry(tableSize, kUnclaimed);
  std::vector<uint32_t> position(n);  // permutation[i][next[i]], advanced incrementally
  std::vector<uint64_t> claimed(n, 0);
  for (size_t i = 0; i < n; ++i) position[i] = permutations[i].offset;

  uint32_t filled = 0;
  // Terminates: the heaviest backend claims a slot in every iteration.
  for (uint64_t t = 1; filled < tableSize; ++t) {
    for (size_t i = 0; i < n && filled < tableSize; ++i) {
      if (weights[i] == 0 || t * weights[i] < (claimed[i] + 1) * maxWeight) continue;
      // §3.4 Algorithm 1: walk the preference list past slots already taken. A full permutation
      // and a non-full table guarantee a free slot.
      while (entry[position[i]] != kUnclaimed) {
        position[i] =
            static_cast<uint32_t>((uint64_t{position[i]} + permutations[i].skip) % tableSize);
      }
      entry[position[i]] = static_cast<uint32_t>(i);
      ++claimed[i];
      ++filled;
    }
  }
  return entry;
}

}  // namespace ha::director
