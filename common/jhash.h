#pragma once
// Bob Jenkins' lookup3 hash exactly as the Linux kernel's jhash() computes it (include/linux/jhash.h),
// so the flow oracle predicts which bucket nftables' `jhash ... mod M seed S` picks.
#include <cstddef>
#include <cstdint>

namespace ha {

uint32_t kernelJhash(const uint8_t* data, size_t length, uint32_t seed);

// nft_jhash: reciprocal_scale(jhash(data, len, seed), modulus) + offset.
inline uint32_t nftJhashBucket(const uint8_t* data, size_t length, uint32_t seed, uint32_t modulus) {
  return static_cast<uint32_t>((uint64_t{kernelJhash(data, length, seed)} * modulus) >> 32);
}

}  // namespace ha
