#include <gtest/gtest.h>

#include <array>

#include "director/nft/ir.h"

namespace ha::director::nft {
namespace {

// Concatenated keys pad each field to a 4-byte register, as nf_tables does.
TEST(KeyBuilder, PadsEveryFieldToARegister) {
  Bytes key = KeyBuilder().u8(6).raw(std::array<uint8_t, 4>{192, 0, 2, 1}.data(), 4).be16(80).take();
  Bytes expected = {6, 0, 0, 0, 192, 0, 2, 1, 0, 80, 0, 0};
  EXPECT_EQ(key, expected);
}

}  // namespace
}  // namespace ha::director::nft
