#include "common/ip_address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace ha {

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) return std::nullopt;
  std::string copy(text);
  IpAddress a;
  if (inet_pton(AF_INET, copy.c_str(), a.bytes_.data()) == 1) {
    a.family_ = Family::kV4;
    return a;
  }
  if (inet_pton(AF_INET6, copy.c_str(), a.bytes_.data()) == 1) {
    a.family_ = Family::kV6;
    return a;
  }
  return std::nullopt;
}

IpAddress IpAddress::v4(uint32_t hostOrder) {
  IpAddress a;
  a.family_ = Family::kV4;
  for (int i = 0; i < 4; ++i) a.bytes_[static_cast<size_t>(i)] = static_cast<uint8_t>(hostOrder >> (24 - 8 * i));
  return a;
}

IpAddress IpAddress::fromBytes(Family family, const uint8_t* bytes) {
  IpAddress a;
  a.family_ = family;
  std::memcpy(a.bytes_.data(), bytes, family == Family::kV4 ? 4 : 16);
  return a;
}

uint32_t IpAddress::v4HostOrder() const {
  return (uint32_t{bytes_[0]} << 24) | (uint32_t{bytes_[1]} << 16) | (uint32_t{bytes_[2]} << 8) |
         uint32_t{bytes_[3]};
}

std::string IpAddress::str() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(isV4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
  return buf;
}

IpAddress IpAddress::plus(uint64_t n) const {
  IpAddress r = *this;
  uint64_t carry = n;
  for (size_t i = size(); i-- > 0 && carry != 0;) {
    uint64_t sum = r.bytes_[i] + (carry & 0xff);
    r.bytes_[i] = static_cast<uint8_t>(sum);
    carry = (carry >> 8) + (sum >> 8);
  }
  return r;
}

std::optional<uint64_t> IpAddress::distanceFrom(const IpAddress& lower) const {
  if (family_ != lower.family_ || *this < lower) return std::nullopt;
  // Only the low 8 bytes may differ for a distance that fits; ranges are small.
  for (size_t i = 0; i + 8 < size(); ++i) {
    if (bytes_[i] != lower.bytes_[i]) return std::nullopt;
  }
  uint64_t hi = 0, lo = 0;
  for (size_t i = size() - (isV4() ? 4 : 8); i < size(); ++i) {
    hi = (hi << 8) | bytes_[i];
    lo = (lo << 8) | lower.bytes_[i];
  }
  return hi - lo;
}

std::optional<IpPrefix> IpPrefix::parse(std::string_view text) {
  auto slash = text.find('/');
  auto addr = IpAddress::parse(text.substr(0, slash));
  if (!addr) return std::nullopt;
  unsigned maxLen = addr->isV4() ? 32 : 128;
  unsigned len = maxLen;
  if (slash != std::string_view::npos) {
    auto digits = text.substr(slash + 1);
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), len);
    if (ec != std::errc{} || ptr != digits.data() + digits.size() || len > maxLen) return std::nullopt;
  }
  return IpPrefix{*addr, static_cast<uint8_t>(len)};
}

std::string IpPrefix::str() const { return address.str() + "/" + std::to_string(length); }

std::string formatEndpoint(const IpAddress& address, uint16_t port) {
  if (address.isV4()) return address.str() + ":" + std::to_string(port);
  return "[" + address.str() + "]:" + std::to_string(port);
}

}  // namespace ha

size_t std::hash<ha::IpAddress>::operator()(const ha::IpAddress& a) const noexcept {
  size_t h = static_cast<size_t>(a.family());
  for (size_t i = 0; i < a.size(); ++i) h = h * 131 + a.bytes()[i];
  return h;
}
