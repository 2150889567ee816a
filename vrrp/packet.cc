// VRRP advertisement codec: RFC 5798 §5 (v3) and RFC 3768 §5 (v2). Pure: bytes and addresses in,
// values or a drop reason out; no sockets, no clock, no counters (the router counts the reasons).
#include "vrrp/packet.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace ha::vrrp {
namespace {

// Field offsets of the fixed header, RFC 5798 §5.1 / RFC 3768 §5.1.
constexpr size_t kVersionTypeAt = 0;
constexpr size_t kVridAt = 1;
constexpr size_t kPriorityAt = 2;
constexpr size_t kCountAt = 3;
constexpr size_t kAuthTypeOrIntervalHighAt = 4;  // v2: Auth Type; v3: rsvd(4) + interval(high 4)
constexpr size_t kIntervalAt = 5;                // v2: Adver Int (s); v3: interval (low 8)
constexpr size_t kChecksumAt = 6;

constexpr uint16_t kV3MaxIntervalCs = 0x0fff;     // RFC 5798 §5.2.7: 12 bits
constexpr uint16_t kV2MaxIntervalCs = 255 * 100;  // RFC 3768 §5.3.7: one byte of seconds
constexpr size_t kMaxAddresses = 255;             // RFC 5798 §5.2.5: one byte of count

// encode() takes values our own config and state machine built; a bad one is a bug, not input.
[[noreturn]] void invariantBroken(const char* what) {
  std::fprintf(stderr, "ha::vrrp::encode: %s\n", what);
  std::abort();
}

// RFC 1071 §4.1: big-endian 16-bit words, an odd last byte padded with a zero on its right. The
// 64-bit accumulator cannot overflow for anything an IP packet can carry; fold() adds the carries
// back in (end-around carry).
uint64_t addWords(std::span<const uint8_t> data, uint64_t sum) {
  size_t i = 0;
  for (; i + 1 < data.size(); i += 2) sum += (uint64_t{data[i]} << 8) | data[i + 1];
  if (i < data.size()) sum += uint64_t{data[i]} << 8;
  return sum;
}

uint16_t fold(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// RFC 5798 §5.2.8: the pseudo-header of RFC 8200 §8.1 for IPv6; for IPv4 the one of RFC 768/793
// (src, dst, zero, protocol, length). Both reduce to the same words apart from the address sizes.
uint64_t pseudoHeaderSum(const IpAddress& source, const IpAddress& destination, size_t length) {
  uint64_t sum = addWords({source.bytes(), source.size()}, 0);
  sum = addWords({destination.bytes(), destination.size()}, sum);
  if (source.isV4()) {
    sum += kIpProtocol;  // zero byte, then protocol 112
    sum += length;       // 16-bit VRRP length
  } else {
    sum += (length >> 16) + (length & 0xffff);  // 32-bit upper-layer packet length
    sum += kIpProtocol;                         // three zero bytes, then next header 112
  }
  return sum;
}

// The one's-complement sum of what the checksum covers, the checksum field itself included as
// stored. v2 covers the VRRP message only (RFC 3768 §5.3.8); v3 adds the pseudo-header for both
// families (RFC 5798 §5.2.8).
uint64_t coveredSum(std::span<const uint8_t> message, Version version, const IpAddress& source,
                    const IpAddress& destination) {
  uint64_t sum = version == Version::kV3 ? pseudoHeaderSum(source, destination, message.size()) : 0;
  return addWords(message, sum);
}

}  // namespace

uint16_t internetChecksum(std::span<const uint8_t> data, uint32_t initialSum) {
  return static_cast<uint16_t>(~fold(addWords(data, initialSum)));
}

uint16_t advertChecksum(std::span<const uint8_t> message, Version version, const IpAddress& source,
                        const IpAddress& destination) {
  // RFC 5798 §5.2.8: "for computing the checksum, the checksum field is set to zero", so sum
  // around it (it starts on an even offset, so the words stay aligned).
  uint64_t sum = version == Version::kV3 ? pseudoHeaderSum(source, destination, message.size()) : 0;
  sum = addWords(message.first(std::min(message.size(), kChecksumAt)), sum);
  if (message.size() > kChecksumAt + 2) sum = addWords(message.subspan(kChecksumAt + 2), sum);
  return internetChecksum({}, fold(sum));
}

DecodeResult decode(std::span<const uint8_t> payload, const PacketContext& ctx) {
  // RFC 5798 §7.1 / RFC 3768 §7.1: TTL/hop limit 255 proves the sender is on this link.
  if (ctx.ttl != kTtl) return DropReason::kBadTtl;
  if (payload.size() < kHeaderSize) return DropReason::kTooShort;

  const unsigned versionBits = payload[kVersionTypeAt] >> 4;  // RFC 5798 §5.2.1
  if (versionBits != 2 && versionBits != 3) return DropReason::kBadVersion;
  const auto version = static_cast<Version>(versionBits);
  const bool v2 = version == Version::kV2;
  if (v2 && !ctx.source.isV4()) return DropReason::kBadVersion;  // RFC 3768 is IPv4 only
  // RFC 5798 §5.2.2: the only type; others are dropped.
  if ((payload[kVersionTypeAt] & 0x0f) != kTypeAdvertisement) return DropReason::kBadType;

  // RFC 5798 §5.2.5/§5.2.9: the IP header's family decides the address size (4 or 16 bytes).
  const Family family = ctx.source.family();
  const size_t addressSize = ctx.source.size();
  const size_t count = payload[kCountAt];
  const size_t expected = kHeaderSize + count * addressSize + (v2 ? kV2AuthSize : 0);
  if (payload.size() < expected) return DropReason::kTooShort;
  if (payload.size() > expected) return DropReason::kTooLong;

  // Verification sums the stored checksum too: a valid packet folds to 0xffff, whichever of the
  // two one's-complement zeros (0x0000, 0xffff) the sender stored.
  if (fold(coveredSum(payload, version, ctx.source, ctx.destination)) != 0xffff) {
    return DropReason::kBadChecksum;
  }

  Advertisement advert;
  advert.version = version;
  advert.vrid = payload[kVridAt];          // RFC 5798 §5.2.3
  advert.priority = payload[kPriorityAt];  // RFC 5798 §5.2.4
  if (v2) {
    advert.authType = static_cast<AuthType>(payload[kAuthTypeOrIntervalHighAt]);  // RFC 3768 §5.3.6
    // RFC 3768 §5.3.7: whole seconds, kept in centiseconds so v2 and v3 compare alike.
    advert.adverIntervalCs = static_cast<uint16_t>(payload[kIntervalAt] * 100);
    // RFC 3768 §5.3.10: the 8 bytes after the addresses (RFC 2338 simple password).
    std::copy_n(payload.end() - kV2AuthSize, kV2AuthSize, advert.authData.begin());
  } else {
    // RFC 5798 §5.2.6: the reserved nibble is ignored on receipt; §5.2.7: 12 bits of centiseconds.
    advert.adverIntervalCs = static_cast<uint16_t>(
        ((payload[kAuthTypeOrIntervalHighAt] & 0x0f) << 8) | payload[kIntervalAt]);
  }
  advert.addresses.reserve(count);
  for (size_t i = 0; i < count; ++i) {  // RFC 5798 §5.2.9
    advert.addresses.push_back(
        IpAddress::fromBytes(family, &payload[kHeaderSize + i * addressSize]));
  }
  return advert;
}

std::vector<uint8_t> encode(const Advertisement& advert, const IpAddress& source,
                            const IpAddress& destination) {
  const bool v2 = advert.version == Version::kV2;
  if (!v2 && advert.version != Version::kV3) invariantBroken("version is neither 2 nor 3");
  if (source.family() != destination.family())
    invariantBroken("source and destination families differ");
  if (v2 && !source.isV4()) invariantBroken("VRRPv2 is IPv4 only (RFC 3768)");
  if (advert.addresses.size() > kMaxAddresses) invariantBroken("more than 255 addresses");
  for (const IpAddress& address : advert.addresses) {
    if (address.family() != source.family()) invariantBroken("address of the other family");
  }
  // Refuse rather than clamp: a silently rounded interval would make every peer drop our adverts
  // (RFC 3768 §7.1 interval check). The config layer must accept only whole seconds 1..255 for v2.
  if (v2 && (advert.adverIntervalCs % 100 != 0 || advert.adverIntervalCs > kV2MaxIntervalCs)) {
    invariantBroken("VRRPv2 interval must be whole seconds, at most 255 (RFC 3768 §5.3.7)");
  }
  if (!v2 && advert.adverIntervalCs > kV3MaxIntervalCs) {
    invariantBroken("VRRPv3 interval above 4095 cs (RFC 5798 §5.2.7)");
  }

  const size_t size =
      kHeaderSize + advert.addresses.size() * source.size() + (v2 ? kV2AuthSize : 0);
  std::vector<uint8_t> out;
  out.reserve(size);
  out.push_back(static_cast<uint8_t>((static_cast<unsigned>(advert.version) << 4) |
                                     kTypeAdvertisement));  // RFC 5798 §5.2.1-2
  out.push_back(advert.vrid);
  out.push_back(advert.priority);
  out.push_back(static_cast<uint8_t>(advert.addresses.size()));
  if (v2) {
    out.push_back(static_cast<uint8_t>(advert.authType));               // RFC 3768 §5.3.6
    out.push_back(static_cast<uint8_t>(advert.adverIntervalCs / 100));  // RFC 3768 §5.3.7
  } else {
    // RFC 5798 §5.2.6: the reserved nibble MUST be zero; §5.2.7: 12-bit interval.
    out.push_back(static_cast<uint8_t>(advert.adverIntervalCs >> 8));
    out.push_back(static_cast<uint8_t>(advert.adverIntervalCs & 0xff));
  }
  out.push_back(0);  // checksum, filled in below
  out.push_back(0);
  for (const IpAddress& address : advert.addresses) {
    out.insert(out.end(), address.bytes(), address.bytes() + address.size());
  }
  if (v2)
    out.insert(out.end(), advert.authData.begin(), advert.authData.end());  // RFC 3768 §5.3.10

  const uint16_t checksum = advertChecksum(out, advert.version, source, destination);
  out[kChecksumAt] = static_cast<uint8_t>(checksum >> 8);
  out[kChecksumAt + 1] = static_cast<uint8_t>(checksum & 0xff);
  return out;
}

std::optional<DropReason> checkAgainst(const Advertisement& advert, const Expectations& expected) {
  // RFC 5798 §6.1/§7.1: an instance runs one version; keepalived drops the other.
  if (advert.version != expected.version) return DropReason::kVersionMismatch;
  // RFC 5798 §7.1 / RFC 3768 §7.1 leave this check to the implementation ("MAY verify"); keepalived
  // drops on a count mismatch, so peers running it and us agree on what a misconfiguration does.
  if (advert.addresses.size() != expected.addressCount) return DropReason::kAddressCount;
  if (advert.version == Version::kV2) {
    // RFC 3768 §5.3.6/§5.3.10: type and password as RFC 2338 carried them; both must match.
    if (advert.authType != expected.authType || advert.authData != expected.authData) {
      return DropReason::kAuthMismatch;
    }
    // RFC 3768 §7.1: MUST discard an advert whose interval differs from ours (v3 adopts the
    // master's instead, RFC 5798 §6.4.2, so it is not checked there).
    if (advert.adverIntervalCs != expected.adverIntervalCs) return DropReason::kIntervalMismatch;
  }
  return std::nullopt;
}

std::optional<DropReason> checkSender(const IpAddress& source, const Expectations& expected) {
  if (expected.unicastPeers.empty()) return std::nullopt;
  for (const IpAddress& peer : expected.unicastPeers) {
    if (peer == source) return std::nullopt;
  }
  return DropReason::kNotUnicastPeer;
}

}  // namespace ha::vrrp
