#pragma once
// Maglev lookup-table population (Eisenbud et al., "Maglev: A Fast and Reliable Software Network
// Load Balancer", NSDI'16, §3.4), split out of mh.cc so tests can check each step by hand.
#include <cstdint>
#include <span>
#include <vector>

#include "common/ip_address.h"

namespace ha::director {

// Fixed seeds for the two backend hashes: changing either reshuffles every mh table in the fleet.
inline constexpr uint32_t kMaglevOffsetSeed = 0x6d616731;  // "mag1"
inline constexpr uint32_t kMaglevSkipSeed = 0x6d616732;    // "mag2"

// Maglev table size when a service names none; prime, and > 100 x reals for up to 40 reals.
inline constexpr uint32_t kDefaultMaglevTableSize = 4093;

bool isPrime(uint32_t n);

// One backend's preference list: permutation[j] = (offset + j * skip) mod M (§3.4). M prime and
// 1 <= skip < M make it a full permutation of 0..M-1.
struct MaglevPermutation {
  uint32_t offset = 0;
  uint32_t skip = 1;
  auto operator<=>(const MaglevPermutation&) const = default;
};

// offset = h1 mod M, skip = h2 mod (M-1) + 1, with h1/h2 the kernel jhash of the backend's address
// bytes followed by its port in network order, under the two seeds above: a pure function of the
// backend, the same on every node (std::hash would be implementation-defined). kernelJhash reads
// 12-byte words in host order, as the kernel does, so only a mixed-endian fleet could disagree, and
// only on IPv6 reals. M must be >= 2.
MaglevPermutation maglevPermutation(const IpAddress& address, uint16_t port, uint32_t tableSize);

// Algorithm 1 with weights, in Envoy's form (source/common/upstream/maglev_lb.cc): backends take
// turns in the given order; in iteration t a backend of weight w claims its next free preferred
// slot only while it has claimed fewer than floor(t * w / maxWeight) slots, so the heaviest
// backend claims every iteration and the others proportionally less, interleaved. Integer
// arithmetic, so every node gets the same table. With equal weights this is exactly Algorithm 1.
// Returns slot -> index into `permutations`; empty if there is no backend with weight > 0.
std::vector<uint32_t> populateMaglev(std::span<const MaglevPermutation> permutations,
                                     std::span<const uint32_t> weights, uint32_t tableSize);

}  // namespace ha::director
