#pragma once
// VRRP advertisements on the wire: RFC 5798 §5 (v3, IPv4 and IPv6) and RFC 3768 §5 (v2, IPv4).
// decode() checks wire validity only (length, version, type, checksum, address count); whether a
// valid packet belongs to one of our instances is checkAgainst()'s job. Both name the reason for a
// drop so the router can count it.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "common/ip_address.h"
#include "vrrp/vrrp_config.h"

namespace ha::vrrp {

inline constexpr uint8_t kIpProtocol = 112;  // RFC 5798 §5.1.1.4
inline constexpr uint8_t kTtl = 255;         // RFC 5798 §5.1.1.3 / §5.1.2.3
inline constexpr uint8_t kTypeAdvertisement = 1;
inline constexpr size_t kHeaderSize = 8;
inline constexpr size_t kV2AuthSize = 8;

// Who sent it and how it arrived; filled by the transport from the IP header / control messages.
struct PacketContext {
  IpAddress source;
  IpAddress destination;
  uint8_t ttl = 0;  // IPv4 TTL or IPv6 hop limit
};

struct Advertisement {
  Version version = Version::kV3;
  uint8_t vrid = 0;
  uint8_t priority = 0;
  // v3: Max Advertise Interval in centiseconds (12 bits); v2: Advertisement Interval in seconds,
  // carried here as centiseconds (seconds * 100) so both versions compare alike.
  uint16_t adverIntervalCs = 100;
  AuthType authType = AuthType::kNone;          // v2 only
  std::array<uint8_t, kV2AuthSize> authData{};  // v2 only
  std::vector<IpAddress> addresses;             // all of the packet's family
  bool operator==(const Advertisement&) const = default;
};

enum class DropReason : uint8_t {
  kBadTtl,           // TTL / hop limit != 255
  kTooShort,         // shorter than the header, or than the addresses it announces
  kTooLong,          // longer than header + addresses (+ auth)
  kBadVersion,       // not 2 or 3, or v2 over IPv6
  kBadType,          // not an advertisement
  kBadChecksum,
  kUnknownVrid,      // no instance with this VRID on the interface
  kVersionMismatch,  // valid, but not the version the instance runs
  kAddressCount,     // count differs from the instance's
  kAuthMismatch,     // v2: auth type or password differs
  kIntervalMismatch, // v2: advert interval differs (RFC 3768 §7.1)
  kNotUnicastPeer,   // the instance has unicast_peer and the sender is not one of them
  kCount_,
};
inline constexpr size_t kDropReasonCount = static_cast<size_t>(DropReason::kCount_);
std::string_view dropReasonName(DropReason reason);  // "bad_ttl", "bad_checksum", ...

using DecodeResult = std::variant<Advertisement, DropReason>;

// `payload` is the VRRP message (IP header already removed). IPv6 and v3 IPv4 checksums include
// the pseudo-header built from ctx.source / ctx.destination (RFC 5798 §5.2.8).
DecodeResult decode(std::span<const uint8_t> payload, const PacketContext& ctx);

// The VRRP message, checksum filled in. All addresses must be of the family of source/destination.
std::vector<uint8_t> encode(const Advertisement& advert, const IpAddress& source,
                            const IpAddress& destination);

// What an instance expects of the adverts for its VRID (RFC 5798 §7.1, RFC 3768 §7.1).
struct Expectations {
  Version version = Version::kV3;
  size_t addressCount = 0;
  uint16_t adverIntervalCs = 100;  // checked for v2 only
  AuthType authType = AuthType::kNone;
  std::array<uint8_t, kV2AuthSize> authData{};
  // unicast_peer: when not empty, adverts from any other source are dropped (keepalived does this
  // only with check_unicast_src; here it is always on, as a unicast instance has no other peers).
  std::vector<IpAddress> unicastPeers;
};
// nullopt: accept. The VRID match is the caller's (it picks the instance by VRID).
std::optional<DropReason> checkAgainst(const Advertisement& advert, const Expectations& expected);
// The sender's address against unicast_peer (keepalived vrrp.c check_unicast_src): nullopt when
// the instance has no unicast peers or `source` is one of them.
std::optional<DropReason> checkSender(const IpAddress& source, const Expectations& expected);

// RFC 1071 one's-complement sum, finished (complemented); exposed for tests and the announcer.
// Odd lengths are padded with a zero byte; `initialSum` is a partial (uncomplemented) sum.
uint16_t internetChecksum(std::span<const uint8_t> data, uint32_t initialSum = 0);

// The value the Checksum field of `message` must hold, its current contents ignored: over the
// message alone for v2 (RFC 3768 §5.3.8), plus the IPv4/IPv6 pseudo-header for v3 (RFC 5798
// §5.2.8). encode() uses it; tests and the fuzzer use it to craft packets that pass decode().
uint16_t advertChecksum(std::span<const uint8_t> message, Version version, const IpAddress& source,
                        const IpAddress& destination);

}  // namespace ha::vrrp
