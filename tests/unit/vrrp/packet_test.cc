#include "vrrp/packet.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>

namespace ha::vrrp {
namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

PacketContext ctx4() { return {ip("198.51.100.1"), ip("224.0.0.18"), kTtl}; }
PacketContext ctx6() { return {ip("fe80::1"), ip("ff02::12"), kTtl}; }

Advertisement v3Ipv4Advert() {
  Advertisement a;
  a.version = Version::kV3;
  a.vrid = 51;
  a.priority = 150;
  a.adverIntervalCs = 100;
  a.addresses = {ip("192.0.2.10"), ip("192.0.2.11")};
  return a;
}

Advertisement v3Ipv6Advert() {
  Advertisement a;
  a.version = Version::kV3;
  a.vrid = 7;
  a.priority = 255;
  a.adverIntervalCs = 0x0fff;  // the 12-bit maximum, 40.95 s
  a.addresses = {ip("fd00:2::10"), ip("fd00:2::11")};
  return a;
}

Advertisement v2PassAdvert() {
  Advertisement a;
  a.version = Version::kV2;
  a.vrid = 53;
  a.priority = 100;
  a.adverIntervalCs = 300;
  a.authType = AuthType::kSimplePassword;
  a.authData = {'s', 'e', 'c', 'r', 'e', 't', '1', '2'};
  a.addresses = {ip("192.0.2.20")};
  return a;
}

std::vector<uint8_t> encodeFor(const Advertisement& a, const PacketContext& ctx) {
  return encode(a, ctx.source, ctx.destination);
}

// Rewrites the checksum so a crafted packet fails only the check it is meant to.
void fixChecksum(std::vector<uint8_t>& p, Version version, const PacketContext& ctx) {
  uint16_t sum = advertChecksum(p, version, ctx.source, ctx.destination);
  p[6] = static_cast<uint8_t>(sum >> 8);
  p[7] = static_cast<uint8_t>(sum & 0xff);
}

std::optional<DropReason> dropOf(const DecodeResult& r) {
  if (const auto* reason = std::get_if<DropReason>(&r)) return *reason;
  return std::nullopt;
}

Advertisement advertOf(const DecodeResult& r) {
  if (const auto* reason = std::get_if<DropReason>(&r)) {
    ADD_FAILURE() << "dropped: " << dropReasonName(*reason);
    return {};
  }
  return std::get<Advertisement>(r);
}

// A golden packet file, format in tests/unit/data/vrrp/README.md.
struct Golden {
  PacketContext ctx;
  std::vector<uint8_t> payload;
};

Golden loadGolden(const std::string& name) {
  const std::string path = std::string(HA_TEST_DATA_DIR) + "/vrrp/" + name;
  std::ifstream in(path);
  if (!in) ADD_FAILURE() << "cannot open " << path;
  Golden g;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string word;
    words >> word;
    if (word == "src" || word == "dst") {
      std::string text;
      words >> text;
      auto address = IpAddress::parse(text);
      if (!address) ADD_FAILURE() << path << ": bad address " << text;
      (word == "src" ? g.ctx.source : g.ctx.destination) = address.value_or(IpAddress{});
    } else if (word == "ttl") {
      unsigned ttl = 0;
      words >> ttl;
      g.ctx.ttl = static_cast<uint8_t>(ttl);
    } else {
      do {
        g.payload.push_back(static_cast<uint8_t>(std::stoul(word, nullptr, 16)));
      } while (words >> word);
    }
  }
  return g;
}

// RFC 1071 §3's worked example: words 0001 f203 f4f5 f6f7 sum to 0xddf2, checksum 0x220d; summing
// the data with its checksum appended yields zero.
TEST(PacketChecksum, MatchesRfc1071Example) {
  std::vector<uint8_t> data = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(internetChecksum(data), 0x220d);
  data.insert(data.end(), {0x22, 0x0d});
  EXPECT_EQ(internetChecksum(data), 0);
}

// An odd last byte counts as the high half of a word (RFC 1071 §4.1); initialSum carries over.
TEST(PacketChecksum, PadsOddLengthsAndCarriesInitialSum) {
  EXPECT_EQ(internetChecksum(std::vector<uint8_t>{0x01}), 0xfeff);
  EXPECT_EQ(internetChecksum(std::vector<uint8_t>{0x00, 0x01, 0xf2}), 0x0dfe);  // ~(0x0001+0xf200)
  EXPECT_EQ(internetChecksum({}, 0x1ffff), 0xfffe);  // 0x1ffff folds to 0x0001
}

// A v3 IPv4 advert's checksum by hand: pseudo-header c000 0201 e000 0012 0070 000c, message
// 3101 6401 0064 0000 c000 0264; sum 0x2fa59 folds to 0xfa5b, complemented 0x05a4.
TEST(PacketChecksum, HandComputedV3Ipv4Advert) {
  Advertisement a;
  a.vrid = 1;
  a.priority = 100;
  a.adverIntervalCs = 100;
  a.addresses = {ip("192.0.2.100")};
  auto bytes = encode(a, ip("192.0.2.1"), ip("224.0.0.18"));
  const std::vector<uint8_t> expected = {0x31, 0x01, 0x64, 0x01, 0x00, 0x64,
                                         0x05, 0xa4, 0xc0, 0x00, 0x02, 0x64};
  EXPECT_EQ(bytes, expected);
}

// v3 over IPv4 survives encode/decode unchanged, at the size RFC 5798 §5.1 gives.
TEST(PacketCodec, RoundTripsV3Ipv4) {
  auto bytes = encodeFor(v3Ipv4Advert(), ctx4());
  EXPECT_EQ(bytes.size(), 8u + 2 * 4);
  EXPECT_EQ(advertOf(decode(bytes, ctx4())), v3Ipv4Advert());
}

// v3 over IPv6 survives encode/decode unchanged, 16-byte addresses, 12-bit maximum interval.
TEST(PacketCodec, RoundTripsV3Ipv6) {
  auto bytes = encodeFor(v3Ipv6Advert(), ctx6());
  EXPECT_EQ(bytes.size(), 8u + 2 * 16);
  EXPECT_EQ(bytes[4], 0x0f);  // reserved nibble zero, interval high bits
  EXPECT_EQ(advertOf(decode(bytes, ctx6())), v3Ipv6Advert());
}

// v2 with a simple password survives encode/decode; the interval goes out in whole seconds.
TEST(PacketCodec, RoundTripsV2WithPasswordAuth) {
  auto bytes = encodeFor(v2PassAdvert(), ctx4());
  ASSERT_EQ(bytes.size(), 8u + 4 + 8);
  EXPECT_EQ(bytes[0], 0x21);
  EXPECT_EQ(bytes[4], 1);  // Auth Type 1
  EXPECT_EQ(bytes[5], 3);  // Adver Int 3 s
  EXPECT_EQ(std::string(bytes.end() - 8, bytes.end()), "secret12");
  EXPECT_EQ(advertOf(decode(bytes, ctx4())), v2PassAdvert());
}

// Only TTL / hop limit 255 is accepted (RFC 5798 §7.1), before anything else is looked at.
TEST(PacketDecode, DropsTtlOtherThan255) {
  for (int ttl : {0, 1, 64, 254}) {
    PacketContext c4 = ctx4(), c6 = ctx6();
    c4.ttl = c6.ttl = static_cast<uint8_t>(ttl);
    EXPECT_EQ(dropOf(decode(encodeFor(v3Ipv4Advert(), ctx4()), c4)), DropReason::kBadTtl);
    EXPECT_EQ(dropOf(decode(encodeFor(v3Ipv6Advert(), ctx6()), c6)), DropReason::kBadTtl);
    EXPECT_EQ(dropOf(decode({}, c4)), DropReason::kBadTtl);
  }
}

// Fewer than the 8 header bytes is too short, whatever they hold.
TEST(PacketDecode, DropsShorterThanHeader) {
  const std::vector<uint8_t> bytes = encodeFor(v3Ipv4Advert(), ctx4());
  for (size_t n = 0; n < kHeaderSize; ++n) {
    EXPECT_EQ(dropOf(decode(std::span(bytes).first(n), ctx4())), DropReason::kTooShort) << n;
  }
}

// Versions other than 2 and 3 are refused, and so is v2 over IPv6 (RFC 3768 is IPv4 only).
TEST(PacketDecode, DropsUnknownVersionsAndV2OverIpv6) {
  for (int byte0 : {0x01, 0x11, 0x41, 0xf1}) {
    auto bytes = encodeFor(v3Ipv4Advert(), ctx4());
    bytes[0] = static_cast<uint8_t>(byte0);
    EXPECT_EQ(dropOf(decode(bytes, ctx4())), DropReason::kBadVersion) << byte0;
  }
  auto v2 = encodeFor(v2PassAdvert(), ctx4());
  EXPECT_EQ(dropOf(decode(v2, ctx6())), DropReason::kBadVersion);
}

// Any type but 1 (Advertisement, RFC 5798 §5.2.2) is refused, for both versions.
TEST(PacketDecode, DropsNonAdvertisementTypes) {
  for (int byte0 : {0x30, 0x32, 0x3f, 0x20, 0x22}) {
    auto bytes = encodeFor(byte0 >> 4 == 2 ? v2PassAdvert() : v3Ipv4Advert(), ctx4());
    bytes[0] = static_cast<uint8_t>(byte0);
    EXPECT_EQ(dropOf(decode(bytes, ctx4())), DropReason::kBadType) << byte0;
  }
}

// The count decides the length: fewer bytes than it announces (+8 auth bytes for v2) is too
// short; IPv4-sized addresses read in an IPv6 context are too short too.
TEST(PacketDecode, DropsPacketsShorterThanTheirCount) {
  auto v3 = encodeFor(v3Ipv4Advert(), ctx4());
  v3[3] = 3;
  fixChecksum(v3, Version::kV3, ctx4());
  EXPECT_EQ(dropOf(decode(v3, ctx4())), DropReason::kTooShort);

  auto v2 = encodeFor(v2PassAdvert(), ctx4());
  v2.resize(v2.size() - kV2AuthSize);  // no auth data
  fixChecksum(v2, Version::kV2, ctx4());
  EXPECT_EQ(dropOf(decode(v2, ctx4())), DropReason::kTooShort);

  EXPECT_EQ(dropOf(decode(encodeFor(v3Ipv4Advert(), ctx4()), ctx6())), DropReason::kTooShort);
}

// Bytes beyond header + addresses (+ auth) are too long, even with a checksum covering them.
TEST(PacketDecode, DropsTrailingBytes) {
  auto v3 = encodeFor(v3Ipv4Advert(), ctx4());
  v3.push_back(0);
  EXPECT_EQ(dropOf(decode(v3, ctx4())), DropReason::kTooLong);
  auto v2 = encodeFor(v2PassAdvert(), ctx4());
  v2.insert(v2.end(), {0, 0, 0, 0});
  fixChecksum(v2, Version::kV2, ctx4());
  EXPECT_EQ(dropOf(decode(v2, ctx4())), DropReason::kTooLong);
  auto v6 = encodeFor(v3Ipv6Advert(), ctx6());
  v6[3] = 1;  // count says one address, two are there
  fixChecksum(v6, Version::kV3, ctx6());
  EXPECT_EQ(dropOf(decode(v6, ctx6())), DropReason::kTooLong);
}

// Any flipped bit outside version/type/count fails the checksum, reserved bits included.
TEST(PacketDecode, DropsCorruptedBytes) {
  for (const auto& [advert, ctx] :
       {std::pair{v3Ipv4Advert(), ctx4()}, std::pair{v3Ipv6Advert(), ctx6()},
        std::pair{v2PassAdvert(), ctx4()}}) {
    const auto good = encodeFor(advert, ctx);
    for (size_t at = 1; at < good.size(); ++at) {
      if (at == 3) continue;  // the count: a length error instead
      for (int bit = 0; bit < 8; ++bit) {
        auto bad = good;
        bad[at] = static_cast<uint8_t>(bad[at] ^ (1u << bit));
        EXPECT_EQ(dropOf(decode(bad, ctx)), DropReason::kBadChecksum) << at << ":" << bit;
      }
    }
  }
}

// v3 checksums cover the pseudo-header (RFC 5798 §5.2.8): the same bytes from another source or
// to another destination fail. v2 covers only the message (RFC 3768 §5.3.8).
TEST(PacketDecode, V3ChecksumCoversPseudoHeaderV2DoesNot) {
  PacketContext other4 = ctx4();
  other4.source = ip("198.51.100.2");
  PacketContext other6 = ctx6();
  other6.destination = ip("fe80::2");
  EXPECT_EQ(dropOf(decode(encodeFor(v3Ipv4Advert(), ctx4()), other4)), DropReason::kBadChecksum);
  EXPECT_EQ(dropOf(decode(encodeFor(v3Ipv6Advert(), ctx6()), other6)), DropReason::kBadChecksum);
  EXPECT_EQ(advertOf(decode(encodeFor(v2PassAdvert(), ctx4()), other4)), v2PassAdvert());
}

// A sender may store either one's-complement zero (0x0000 or 0xffff); both verify.
TEST(PacketDecode, AcceptsEitherOnesComplementZero) {
  Advertisement a = v3Ipv4Advert();
  std::vector<uint8_t> bytes;
  auto findZeroChecksum = [&] {
    for (int priority = 1; priority < 256; ++priority) {
      for (int vrid = 1; vrid < 256; ++vrid) {
        a.priority = static_cast<uint8_t>(priority);
        a.vrid = static_cast<uint8_t>(vrid);
        bytes = encodeFor(a, ctx4());
        if (bytes[6] == 0 && bytes[7] == 0) return true;
      }
    }
    return false;
  };
  ASSERT_TRUE(findZeroChecksum()) << "no advert with checksum 0x0000 among 65025 tried";
  EXPECT_EQ(advertOf(decode(bytes, ctx4())), a);
  bytes[6] = bytes[7] = 0xff;
  EXPECT_EQ(advertOf(decode(bytes, ctx4())), a);
}

// RFC 5798 §5.2.6: the reserved nibble is ignored on receipt.
TEST(PacketDecode, IgnoresReservedBits) {
  auto bytes = encodeFor(v3Ipv4Advert(), ctx4());
  bytes[4] = static_cast<uint8_t>(bytes[4] | 0xf0);
  fixChecksum(bytes, Version::kV3, ctx4());
  EXPECT_EQ(advertOf(decode(bytes, ctx4())), v3Ipv4Advert());
}

// Checks run in a fixed order (TTL, length, version, type, count, checksum), so a packet with
// several faults is counted under the first.
TEST(PacketDecode, ReportsTheFirstFailedCheck) {
  PacketContext lowTtl = ctx4();
  lowTtl.ttl = 1;
  EXPECT_EQ(dropOf(decode(std::vector<uint8_t>{0x11}, lowTtl)), DropReason::kBadTtl);
  EXPECT_EQ(dropOf(decode(std::vector<uint8_t>{0x12, 0, 0, 0}, ctx4())), DropReason::kTooShort);
  auto bytes = encodeFor(v3Ipv4Advert(), ctx4());
  bytes[0] = 0x42;  // bad version and type
  EXPECT_EQ(dropOf(decode(bytes, ctx4())), DropReason::kBadVersion);
  bytes[0] = 0x32;  // bad type, then too short and bad checksum
  bytes[3] = 9;
  EXPECT_EQ(dropOf(decode(bytes, ctx4())), DropReason::kBadType);
  bytes[0] = 0x31;  // too short and bad checksum
  EXPECT_EQ(dropOf(decode(bytes, ctx4())), DropReason::kTooShort);
}

// Every truncation of every packet is refused as too short, and reads stay inside the buffer:
// each prefix lives in its own exact-size heap block, so ASan flags a read one byte past it.
TEST(PacketDecode, TruncatedAtEveryLengthIsTooShort) {
  std::vector<std::pair<std::vector<uint8_t>, PacketContext>> packets = {
      {encodeFor(v3Ipv4Advert(), ctx4()), ctx4()},
      {encodeFor(v3Ipv6Advert(), ctx6()), ctx6()},
      {encodeFor(v2PassAdvert(), ctx4()), ctx4()}};
  for (const char* name :
       {"keepalived_v3_ipv4.hex", "keepalived_v3_ipv6.hex", "keepalived_v2_pass.hex"}) {
    Golden g = loadGolden(name);
    packets.emplace_back(g.payload, g.ctx);
  }
  for (const auto& [bytes, ctx] : packets) {
    for (size_t n = 0; n < bytes.size(); ++n) {
      auto copy = std::make_unique<uint8_t[]>(n);
      std::copy_n(bytes.begin(), n, copy.get());
      EXPECT_EQ(dropOf(decode({copy.get(), n}, ctx)), DropReason::kTooShort) << n;
      PacketContext otherFamily = ctx.source.isV4() ? ctx6() : ctx4();
      EXPECT_TRUE(dropOf(decode({copy.get(), n}, otherFamily))) << n;
    }
  }
}

Expectations expectationsOf(const Advertisement& a) {
  return {a.version, a.addresses.size(), a.adverIntervalCs, a.authType, a.authData, {}};
}

// An advert that matches the instance is accepted, for each version.
TEST(PacketCheckAgainst, AcceptsMatchingAdverts) {
  EXPECT_EQ(checkAgainst(v3Ipv4Advert(), expectationsOf(v3Ipv4Advert())), std::nullopt);
  EXPECT_EQ(checkAgainst(v3Ipv6Advert(), expectationsOf(v3Ipv6Advert())), std::nullopt);
  EXPECT_EQ(checkAgainst(v2PassAdvert(), expectationsOf(v2PassAdvert())), std::nullopt);
}

// Each mismatch has its own reason, checked in order version, count, auth, interval.
TEST(PacketCheckAgainst, NamesEachMismatch) {
  auto want = expectationsOf(v2PassAdvert());
  Advertisement a = v2PassAdvert();
  a.version = Version::kV3;
  a.addresses.clear();
  EXPECT_EQ(checkAgainst(a, want), DropReason::kVersionMismatch);
  a = v2PassAdvert();
  a.addresses.push_back(ip("192.0.2.21"));
  a.authType = AuthType::kNone;
  EXPECT_EQ(checkAgainst(a, want), DropReason::kAddressCount);
  a = v2PassAdvert();
  a.authType = AuthType::kNone;
  a.adverIntervalCs = 100;
  EXPECT_EQ(checkAgainst(a, want), DropReason::kAuthMismatch);
  a = v2PassAdvert();
  a.authData[7] = '3';
  EXPECT_EQ(checkAgainst(a, want), DropReason::kAuthMismatch);
  a = v2PassAdvert();
  a.adverIntervalCs = 100;
  EXPECT_EQ(checkAgainst(a, want), DropReason::kIntervalMismatch);
}

// v3 takes the master's interval (RFC 5798 §6.4.2) and has no auth: neither is checked.
TEST(PacketCheckAgainst, V3IgnoresIntervalAndAuth) {
  auto want = expectationsOf(v3Ipv4Advert());
  want.adverIntervalCs = 25;
  want.authType = AuthType::kSimplePassword;
  want.authData = {'x'};
  EXPECT_EQ(checkAgainst(v3Ipv4Advert(), want), std::nullopt);
}

// Without unicast_peer any sender is accepted (multicast: the VRID and checks decide).
TEST(PacketCheckSender, AnySenderWithoutUnicastPeers) {
  Expectations want = expectationsOf(v3Ipv4Advert());
  EXPECT_EQ(checkSender(ip("192.0.2.1"), want), std::nullopt);
  EXPECT_EQ(checkSender(ip("fd00::1"), want), std::nullopt);
}

// With unicast_peer only the listed addresses may send; anyone else is kNotUnicastPeer, for
// IPv4 and IPv6 alike (keepalived's check_unicast_src, always on here).
TEST(PacketCheckSender, OnlyUnicastPeersWhenConfigured) {
  Expectations want = expectationsOf(v3Ipv4Advert());
  want.unicastPeers = {ip("198.51.100.2"), ip("198.51.100.3")};
  EXPECT_EQ(checkSender(ip("198.51.100.2"), want), std::nullopt);
  EXPECT_EQ(checkSender(ip("198.51.100.3"), want), std::nullopt);
  EXPECT_EQ(checkSender(ip("198.51.100.4"), want), DropReason::kNotUnicastPeer);
  EXPECT_EQ(checkSender(ip("192.0.2.2"), want), DropReason::kNotUnicastPeer);
  want.unicastPeers = {ip("fe80::2")};
  EXPECT_EQ(checkSender(ip("fe80::2"), want), std::nullopt);
  EXPECT_EQ(checkSender(ip("fe80::3"), want), DropReason::kNotUnicastPeer);
  EXPECT_EQ(dropReasonName(DropReason::kNotUnicastPeer), "not_unicast_peer");
}

// keepalived 2.2.7, vrrp_version 3 over IPv4 (capture: tests/unit/data/vrrp/README.md): decodes
// as configured and our encoder rebuilds it byte for byte, checksum included.
TEST(PacketGolden, KeepalivedV3Ipv4) {
  Golden g = loadGolden("keepalived_v3_ipv4.hex");
  ASSERT_EQ(g.payload.size(), 16u);
  Advertisement a = advertOf(decode(g.payload, g.ctx));
  EXPECT_EQ(a.version, Version::kV3);
  EXPECT_EQ(a.vrid, 51);
  EXPECT_EQ(a.priority, 150);
  EXPECT_EQ(a.adverIntervalCs, 100);
  EXPECT_EQ(a.addresses, (std::vector{ip("192.0.2.10"), ip("192.0.2.11")}));
  EXPECT_EQ(encode(a, g.ctx.source, g.ctx.destination), g.payload);
}

// keepalived's v3 IPv4 checksum includes the pseudo-header: the message-only (v2-style) sum
// differs from the one it sent (tshark with vrrp.v3_checksum_as_in_v2 agrees: 0xb44f).
TEST(PacketGolden, KeepalivedV3Ipv4ChecksumIncludesPseudoHeader) {
  Golden g = loadGolden("keepalived_v3_ipv4.hex");
  ASSERT_GE(g.payload.size(), kHeaderSize);
  const uint16_t sent = static_cast<uint16_t>((g.payload[6] << 8) | g.payload[7]);
  EXPECT_EQ(advertChecksum(g.payload, Version::kV3, g.ctx.source, g.ctx.destination), sent);
  EXPECT_EQ(advertChecksum(g.payload, Version::kV2, g.ctx.source, g.ctx.destination), 0xb44f);
}

// keepalived 2.2.7, vrrp_version 3 over IPv6 with advert_int 0.1: 10 cs, link-local source.
TEST(PacketGolden, KeepalivedV3Ipv6) {
  Golden g = loadGolden("keepalived_v3_ipv6.hex");
  ASSERT_EQ(g.payload.size(), 24u);
  Advertisement a = advertOf(decode(g.payload, g.ctx));
  EXPECT_EQ(a.version, Version::kV3);
  EXPECT_EQ(a.vrid, 52);
  EXPECT_EQ(a.priority, 100);
  EXPECT_EQ(a.adverIntervalCs, 10);
  EXPECT_EQ(a.addresses, std::vector{ip("fd00:2::10")});
  EXPECT_EQ(encode(a, g.ctx.source, g.ctx.destination), g.payload);
}

// keepalived 2.2.7, vrrp_version 2 with auth_type PASS: password in the 8 trailing bytes,
// interval in seconds, checksum over the message only.
TEST(PacketGolden, KeepalivedV2Pass) {
  Golden g = loadGolden("keepalived_v2_pass.hex");
  ASSERT_EQ(g.payload.size(), 20u);
  Advertisement a = advertOf(decode(g.payload, g.ctx));
  EXPECT_EQ(a.version, Version::kV2);
  EXPECT_EQ(a.vrid, 53);
  EXPECT_EQ(a.priority, 150);
  EXPECT_EQ(a.adverIntervalCs, 100);
  EXPECT_EQ(a.authType, AuthType::kSimplePassword);
  EXPECT_EQ(std::string(a.authData.begin(), a.authData.end()), "secret12");
  EXPECT_EQ(a.addresses, std::vector{ip("192.0.2.20")});
  EXPECT_EQ(encode(a, g.ctx.source, g.ctx.destination), g.payload);
}

// encode() aborts on adverts no valid config produces: v2 intervals that are not whole seconds
// or exceed 255 s, v2 over IPv6, addresses of the other family.
TEST(PacketEncodeDeathTest, AbortsOnInvalidAdverts) {
  Advertisement a = v2PassAdvert();
  a.adverIntervalCs = 150;
  EXPECT_DEATH(encodeFor(a, ctx4()), "whole seconds");
  a.adverIntervalCs = 25600;
  EXPECT_DEATH(encodeFor(a, ctx4()), "whole seconds");
  a = v2PassAdvert();
  a.addresses = {ip("fd00::1")};
  EXPECT_DEATH(encodeFor(a, ctx6()), "IPv4 only");
  a = v3Ipv4Advert();
  EXPECT_DEATH(encodeFor(a, ctx6()), "other family");
  a.adverIntervalCs = 0x1000;
  EXPECT_DEATH(encodeFor(a, ctx4()), "4095");
}

// Every drop reason has its own counter name.
TEST(PacketDropReason, NamesAreDistinct) {
  std::set<std::string_view> names;
  for (size_t i = 0; i < kDropReasonCount; ++i) {
    auto name = dropReasonName(static_cast<DropReason>(i));
    EXPECT_NE(name, "?");
    names.insert(name);
  }
  EXPECT_EQ(names.size(), kDropReasonCount);
}

}  // namespace
}  // namespace ha::vrrp
