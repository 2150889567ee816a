#include "common/jhash.h"

#include <cstring>

namespace ha {
namespace {

constexpr uint32_t kJhashInitval = 0xdeadbeef;

constexpr uint32_t rol32(uint32_t w, unsigned s) { return (w << s) | (w >> (32 - s)); }

void jhashMix(uint32_t& a, uint32_t& b, uint32_t& c) {
  a -= c; a ^= rol32(c, 4);  c += b;
  b -= a; b ^= rol32(a, 6);  a += c;
  c -= b; c ^= rol32(b, 8);  b += a;
  a -= c; a ^= rol32(c, 16); c += b;
  b -= a; b ^= rol32(a, 19); a += c;
  c -= b; c ^= rol32(b, 4);  b += a;
}

void jhashFinal(uint32_t& a, uint32_t& b, uint32_t& c) {
  c ^= b; c -= rol32(b, 14);
  a ^= c; a -= rol32(c, 11);
  b ^= a; b -= rol32(a, 25);
  c ^= b; c -= rol32(b, 16);
  a ^= c; a -= rol32(c, 4);
  b ^= a; b -= rol32(a, 14);
  c ^= b; c -= rol32(b, 24);
}

// The kernel reads whole words with __get_unaligned_cpu32: host byte order (little-endian on x86).
uint32_t loadCpu32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace

uint32_t kernelJhash(const uint8_t* k, size_t length, uint32_t seed) {
  uint32_t a, b, c;
  a = b = c = kJhashInitval + static_cast<uint32_t>(length) + seed;
  while (length > 12) {
    a += loadCpu32(k);
    b += loadCpu32(k + 4);
    c += loadCpu32(k + 8);
    jhashMix(a, b, c);
    length -= 12;
    k += 12;
  }
  // Deliberate fall-through, as in the kernel's switch on the tail length.
  switch (length) {
    case 12: c += uint32_t{k[11]} << 24; [[fallthrough]];
    case 11: c += uint32_t{k[10]} << 16; [[fallthrough]];
    case 10: c += uint32_t{k[9]} << 8;   [[fallthrough]];
    case 9:  c += k[8];                  [[fallthrough]];
    case 8:  b += uint32_t{k[7]} << 24;  [[fallthrough]];
    case 7:  b += uint32_t{k[6]} << 16;  [[fallthrough]];
    case 6:  b += uint32_t{k[5]} << 8;   [[fallthrough]];
    case 5:  b += k[4];                  [[fallthrough]];
    case 4:  a += uint32_t{k[3]} << 24;  [[fallthrough]];
    case 3:  a += uint32_t{k[2]} << 16;  [[fallthrough]];
    case 2:  a += uint32_t{k[1]} << 8;   [[fallthrough]];
    case 1:  a += k[0];
      jhashFinal(a, b, c);
      break;
    case 0:
      break;
  }
  return c;
}

}  // namespace ha
