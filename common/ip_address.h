#pragma once
// An IPv4 or IPv6 address as a value: parsed from text, compared, hashed, written to the wire.
#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ha {

enum class Family : uint8_t { kV4 = 4, kV6 = 6 };

class IpAddress {
 public:
  IpAddress() = default;  // 0.0.0.0
  static std::optional<IpAddress> parse(std::string_view text);
  static IpAddress v4(uint32_t hostOrder);
  static IpAddress fromBytes(Family family, const uint8_t* bytes);

  Family family() const { return family_; }
  bool isV4() const { return family_ == Family::kV4; }
  // Network-order bytes; 4 for IPv4, 16 for IPv6.
  const uint8_t* bytes() const { return bytes_.data(); }
  size_t size() const { return isV4() ? 4 : 16; }
  uint32_t v4HostOrder() const;
  std::string str() const;
  // The address `n` steps above this one (wraps within the family); ranges use it.
  IpAddress plus(uint64_t n) const;
  // Distance from `lower` to this address, or nullopt if lower > this or families differ.
  std::optional<uint64_t> distanceFrom(const IpAddress& lower) const;

  auto operator<=>(const IpAddress&) const = default;
  bool operator==(const IpAddress&) const = default;

 private:
  Family family_ = Family::kV4;
  std::array<uint8_t, 16> bytes_{};
};

// ADDR/LEN, as in `static_ipaddress { 192.0.2.1/24 dev eth0 }`.
struct IpPrefix {
  IpAddress address;
  uint8_t length = 0;
  static std::optional<IpPrefix> parse(std::string_view text);
  std::string str() const;
  auto operator<=>(const IpPrefix&) const = default;
};

// "[v6]:port" or "v4:port" for display, as ipvsadm prints.
std::string formatEndpoint(const IpAddress& address, uint16_t port);

}  // namespace ha

template <>
struct std::hash<ha::IpAddress> {
  size_t operator()(const ha::IpAddress& a) const noexcept;
};
