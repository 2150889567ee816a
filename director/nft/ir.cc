#include "director/nft/ir.h"

namespace ha::director::nft {

void KeyBuilder::pad() {
  while (bytes_.size() % 4 != 0) bytes_.push_back(0);
}

KeyBuilder& KeyBuilder::u8(uint8_t v) {
  bytes_.push_back(v);
  pad();
  return *this;
}

KeyBuilder& KeyBuilder::be16(uint16_t v) {
  bytes_.push_back(static_cast<uint8_t>(v >> 8));
  bytes_.push_back(static_cast<uint8_t>(v));
  pad();
  return *this;
}

KeyBuilder& KeyBuilder::hostU32(uint32_t v) {
  // Registers hold marks, numgen and jhash results as native u32s.
  const auto* p = reinterpret_cast<const uint8_t*>(&v);
  bytes_.insert(bytes_.end(), p, p + 4);
  return *this;
}

KeyBuilder& KeyBuilder::raw(const uint8_t* p, size_t n) {
  bytes_.insert(bytes_.end(), p, p + n);
  pad();
  return *this;
}

}  // namespace ha::director::nft
