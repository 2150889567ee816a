#include "healthcheck/file_check.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <string>

namespace ha::healthcheck {

std::optional<int64_t> parseTrackFileValue(std::string_view text) {
  const std::string buffer(text.substr(0, kTrackFileReadBytes));  // NUL-terminated for strtoll
  errno = 0;
  const long long value = std::strtoll(buffer.c_str(), nullptr, 0);
  if (errno != 0 || value < int64_t{INT32_MIN} || value > int64_t{INT32_MAX} + 1) {
    return std::nullopt;
  }
  return value;
}

FileCheckEffect fileCheckEffect(int64_t value, int64_t weight, bool reverse) {
  if (weight == 0) return {(value != 0) != reverse, 0};
  // |value| <= 2^31 and |weight| < 2^31: the product fits in 63 bits.
  const int64_t product =
      std::clamp<int64_t>(value * weight * (reverse ? -1 : 1), INT32_MIN, INT32_MAX);
  if (product <= INT32_MIN) return {true, 0};
  return {false, product};
}

uint32_t weightWithFiles(uint32_t base, int64_t deltaSum) {
  return static_cast<uint32_t>(std::clamp<int64_t>(int64_t{base} + deltaSum, 0, kMaxRealWeight));
}

}  // namespace ha::healthcheck
