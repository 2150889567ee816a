#include "director/config/value_parsers.h"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <string>

namespace ha::director::config {
namespace {

bool allDigits(std::string_view text, int base) {
  if (text.empty()) return false;
  for (char c : text) {
    bool ok =
        base == 16 ? std::isxdigit(static_cast<unsigned char>(c)) != 0 : (c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

std::optional<uint64_t> parseBase(std::string_view text, int base, uint64_t max) {
  if (!allDigits(text, base)) return std::nullopt;
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc{} || ptr != text.data() + text.size() || value > max) return std::nullopt;
  return value;
}

// `first` with its last `width` bytes replaced by `low` (big-endian).
IpAddress withLowBytes(const IpAddress& first, uint64_t low, size_t width) {
  std::array<uint8_t, 16> bytes{};
  for (size_t i = 0; i < first.size(); ++i) bytes[i] = first.bytes()[i];
  for (size_t i = 0; i < width; ++i) {
    bytes[first.size() - 1 - i] = static_cast<uint8_t>(low >> (8 * i));
  }
  return IpAddress::fromBytes(first.family(), bytes.data());
}

}  // namespace

std::optional<uint64_t> parseUnsigned(std::string_view text, uint64_t max) {
  return parseBase(text, 10, max);
}

std::optional<uint32_t> parseHashSeed(std::string_view text) {
  std::optional<uint64_t> value;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    value = parseBase(text.substr(2), 16, UINT32_MAX);
  } else {
    value = parseBase(text, 10, UINT32_MAX);
  }
  if (!value) return std::nullopt;
  return static_cast<uint32_t>(*value);
}

std::optional<uint64_t> parseMicroseconds(std::string_view text) {
  constexpr size_t kFractionDigits = 6;
  constexpr size_t kMaxWholeDigits = 12;  // ~31,700 years: far above any limit, far below overflow
  auto dot = text.find('.');
  auto whole = text.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  if (whole.empty() || whole.size() > kMaxWholeDigits || !allDigits(whole, 10)) return std::nullopt;
  if (dot != std::string_view::npos &&
      (fraction.empty() || fraction.size() > kFractionDigits || !allDigits(fraction, 10))) {
    return std::nullopt;
  }
  uint64_t micros = *parseBase(whole, 10, UINT64_MAX) * 1'000'000;
  uint64_t scale = 100'000;
  for (char c : fraction) {
    micros += static_cast<uint64_t>(c - '0') * scale;
    scale /= 10;
  }
  return micros;
}

std::optional<int64_t> parseSigned(std::string_view text, int64_t min, int64_t max) {
  bool negative = !text.empty() && text[0] == '-';
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) text.remove_prefix(1);
  auto magnitude = parseBase(text, 10, static_cast<uint64_t>(INT64_MAX));
  if (!magnitude) return std::nullopt;
  auto value = static_cast<int64_t>(*magnitude);
  if (negative) value = -value;
  if (value < min || value > max) return std::nullopt;
  return value;
}

bool isPrime(uint64_t n) {
  if (n < 2) return false;
  for (uint64_t d = 2; d * d <= n; ++d) {
    if (n % d == 0) return false;
  }
  return true;
}

std::optional<std::pair<uint16_t, uint16_t>> parseStatusRange(std::string_view text) {
  constexpr uint64_t kLowest = 100;  // RFC 9110 §15: status codes are three digits, 1xx..5xx
  constexpr uint64_t kHighest = 599;
  auto dash = text.find('-');
  auto low = parseUnsigned(text.substr(0, dash), kHighest);
  auto high = dash == std::string_view::npos ? low : parseUnsigned(text.substr(dash + 1), kHighest);
  if (!low || !high || *low < kLowest || *low > *high) return std::nullopt;
  return std::pair(static_cast<uint16_t>(*low), static_cast<uint16_t>(*high));
}

bool appendHexBytes(std::string_view word, std::string& out) {
  if (!allDigits(word, 16)) return false;
  for (size_t i = 0; i < word.size(); i += 2) {
    auto pair = word.substr(i, 2);
    out += static_cast<char>(*parseBase(pair, 16, 0xff));
  }
  return true;
}

std::optional<std::string> parseMd5Hex(std::string_view text) {
  constexpr size_t kMd5HexDigits = 32;
  if (text.size() != kMd5HexDigits || !allDigits(text, 16)) return std::nullopt;
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

Result<AddressRange> parseAddressRange(std::string_view text) {
  auto dash = text.find('-');
  auto firstText = text.substr(0, dash);
  auto first = IpAddress::parse(firstText);
  if (!first) {
    return Error{"'" + std::string(firstText) + "' is not an IP address"};
  }
  if (dash == std::string_view::npos) return AddressRange{*first, 1};
  auto lastText = text.substr(dash + 1);
  std::optional<IpAddress> last;
  if (lastText.find_first_of(".:") != std::string_view::npos) {
    last = IpAddress::parse(lastText);
    if (!last) return Error{"'" + std::string(lastText) + "' is not an IP address"};
    if (last->family() != first->family()) {
      return Error{"range '" + std::string(text) + "' mixes IPv4 and IPv6"};
    }
  } else if (first->isV4()) {
    auto octet = parseUnsigned(lastText, 255);
    if (!octet) return Error{"range end '" + std::string(lastText) + "' is not an octet 0..255"};
    last = withLowBytes(*first, *octet, 1);
  } else {
    auto group = lastText.size() <= 4 ? parseBase(lastText, 16, 0xffff) : std::nullopt;
    if (!group)
      return Error{"range end '" + std::string(lastText) + "' is not a hex group 0..ffff"};
    last = withLowBytes(*first, *group, 2);
  }
  auto distance = last->distanceFrom(*first);
  if (!distance) {
    return Error{"range '" + std::string(text) + "' ends below its start or spans too much"};
  }
  if (*distance == UINT64_MAX) return Error{"range '" + std::string(text) + "' spans too much"};
  return AddressRange{*first, *distance + 1};
}

}  // namespace ha::director::config
