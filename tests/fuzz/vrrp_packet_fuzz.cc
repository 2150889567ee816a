// libFuzzer target for the VRRP codec (vrrp/packet.h): any bytes, under an IPv4 and an IPv6
// context, must give an advert or a drop reason, never a crash or an out-of-bounds read (the
// input is copied into an exact-size heap block so ASan sees a one-byte overrun). Every advert
// decode() accepts must survive encode() -> decode() unchanged, and encode() must give back the
// input bytes except for what the wire allows to differ (v3 reserved nibble, 0x0000 vs 0xffff
// checksum). Each input also runs with its checksum repaired, so mutations get past the checksum
// and reach the field parsing. Built with standalone_driver.cc where g++ has no libFuzzer.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <variant>
#include <vector>

#include "vrrp/packet.h"

namespace {

using ha::IpAddress;
using ha::vrrp::Advertisement;
using ha::vrrp::PacketContext;
using ha::vrrp::Version;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "vrrp_packet_fuzz: %s\n", what);
  std::abort();
}

// The contexts the golden captures were taken in, so the seeds pass the pseudo-header checksum.
const PacketContext& context(bool v4) {
  static const PacketContext c4{*IpAddress::parse("198.51.100.1"), *IpAddress::parse("224.0.0.18"),
                                ha::vrrp::kTtl};
  static const PacketContext c6{*IpAddress::parse("fe80::ff:fe00:1"), *IpAddress::parse("ff02::12"),
                                ha::vrrp::kTtl};
  return v4 ? c4 : c6;
}

void check(const uint8_t* data, size_t size, PacketContext ctx) {
  auto exact = std::make_unique<uint8_t[]>(size);
  if (size > 0) std::memcpy(exact.get(), data, size);
  const std::span<const uint8_t> input(exact.get(), size);

  auto result = ha::vrrp::decode(input, ctx);
  const auto* advert = std::get_if<Advertisement>(&result);
  if (advert == nullptr) {
    auto reason = static_cast<size_t>(std::get<ha::vrrp::DropReason>(result));
    if (reason >= ha::vrrp::kDropReasonCount) fail("drop reason out of range");
    return;
  }
  const std::vector<uint8_t> again = ha::vrrp::encode(*advert, ctx.source, ctx.destination);
  if (again.size() != size) fail("re-encoding changed the length");
  for (size_t i = 0; i < size; ++i) {
    const bool reserved = i == 4 && advert->version == Version::kV3;
    const uint8_t mask = reserved ? 0x0f : 0xff;
    if (i == 6 || i == 7) continue;  // checked below: either one's-complement zero may be sent
    if ((again[i] & mask) != (input[i] & mask)) fail("re-encoding changed a byte");
  }
  auto reparsed = ha::vrrp::decode(again, ctx);
  const auto* second = std::get_if<Advertisement>(&reparsed);
  if (second == nullptr) fail("our own encoding was dropped");
  if (!(*second == *advert)) fail("decode(encode(advert)) != advert");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // An odd first byte (every type-1 packet) gets TTL 255, an even one a routed TTL, so both the
  // TTL check and everything behind it run.
  const uint8_t ttl = size > 0 && (data[0] & 1) == 0 ? 64 : ha::vrrp::kTtl;
  std::vector<uint8_t> repaired(data, data + size);
  for (bool v4 : {true, false}) {
    PacketContext ctx = context(v4);
    ctx.ttl = ttl;
    check(data, size, ctx);
    if (size >= ha::vrrp::kHeaderSize) {
      const Version version = (data[0] >> 4) == 2 ? Version::kV2 : Version::kV3;
      const uint16_t sum = ha::vrrp::advertChecksum(repaired, version, ctx.source, ctx.destination);
      repaired[6] = static_cast<uint8_t>(sum >> 8);
      repaired[7] = static_cast<uint8_t>(sum & 0xff);
      check(repaired.data(), repaired.size(), ctx);
    }
  }
  return 0;
}
