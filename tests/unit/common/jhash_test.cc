#include "common/jhash.h"

#include <gtest/gtest.h>

#include <cstring>

namespace ha {
namespace {

uint32_t hashText(const char* text, uint32_t seed) {
  return kernelJhash(reinterpret_cast<const uint8_t*>(text), std::strlen(text), seed);
}

// Bob Jenkins' published lookup3.c self-test vectors for hashlittle(). The kernel's jhash() is
// hashlittle() for byte keys on a little-endian host: same init (0xdeadbeef + length + seed),
// mix and final, tail switch, and length 0 returns c unmixed.
TEST(KernelJhash, MatchesLookup3ReferenceVectors) {
  EXPECT_EQ(kernelJhash(nullptr, 0, 0), 0xdeadbeefu);
  EXPECT_EQ(kernelJhash(nullptr, 0, 0xdeadbeef), 0xbd5b7ddeu);  // 2 * 0xdeadbeef mod 2^32
  EXPECT_EQ(hashText("Four score and seven years ago", 0), 0x17770551u);
  EXPECT_EQ(hashText("Four score and seven years ago", 1), 0xcd628161u);
}

// Keys whose length is an exact multiple of 12 take the last block through the tail switch (case
// 12 and final mixing), not the mix loop: the kernel's `while (length > 12)`.
TEST(KernelJhash, LastFullBlockGoesThroughFinal) {
  const char* text = "Four score and seven years ago";  // 30 bytes = 12 + 12 + 6
  uint32_t h24 = kernelJhash(reinterpret_cast<const uint8_t*>(text), 24, 0);
  uint32_t h12 = kernelJhash(reinterpret_cast<const uint8_t*>(text), 12, 0);
  EXPECT_NE(h24, h12);
  // Hashing is a pure function of the bytes, not their address.
  char copy[31];
  std::memcpy(copy, text, sizeof copy);
  EXPECT_EQ(kernelJhash(reinterpret_cast<const uint8_t*>(copy), 24, 0), h24);
}

// nft_jhash scales the hash into [0, modulus) with reciprocal_scale: (hash * modulus) >> 32.
TEST(KernelJhash, NftBucketIsReciprocalScale) {
  EXPECT_EQ(nftJhashBucket(nullptr, 0, 0, 2), 1u);       // 0xdeadbeef is in the upper half
  EXPECT_EQ(nftJhashBucket(nullptr, 0, 0, 256), 0xdeu);  // the top byte
  EXPECT_EQ(nftJhashBucket(nullptr, 0, 0, 1), 0u);
}

}  // namespace
}  // namespace ha
