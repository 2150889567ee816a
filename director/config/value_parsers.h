#pragma once
// Parsers for the values inside statements. They never trust the token: every failure is a
// nullopt or an error string for the caller to report with the statement's file:line.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/ip_address.h"
#include "common/result.h"

namespace ha::director::config {

// Decimal digits only (no sign, no spaces), value <= max.
std::optional<uint64_t> parseUnsigned(std::string_view text, uint64_t max);
// lb_hash_seed: decimal or 0x-prefixed hex, fits in 32 bits.
std::optional<uint32_t> parseHashSeed(std::string_view text);
// keepalived's <TIMER>: decimal seconds with at most 6 fraction digits (its resolution is 1 us),
// read exactly (no binary floating point), so "0.07" is 70000 us and steps can be checked.
std::optional<uint64_t> parseMicroseconds(std::string_view text);
// An optional '-' or '+' then decimal digits, within [min, max].
std::optional<int64_t> parseSigned(std::string_view text, int64_t min, int64_t max);
bool isPrime(uint64_t n);

// One `status_code` word: "200" or "200-299", within 100..599 (keepalived's HTTP_STATUS_CODE_MIN
// and _MAX), low <= high.
std::optional<std::pair<uint16_t, uint16_t>> parseStatusRange(std::string_view text);
// One word of keepalived's HEX_STR (read_hex_str): hex digits taken in pairs from the left, a lone
// last digit is a byte of its own ("Ab12f" is AB 12 0F). Appends the bytes to `out`; false (and
// `out` unchanged) on a character that is not a hex digit.
bool appendHexBytes(std::string_view word, std::string& out);
// An MD5 digest as keepalived's genhash prints it: exactly 32 hex digits; returned lowercase.
std::optional<std::string> parseMd5Hex(std::string_view text);

struct AddressRange {
  IpAddress first;
  uint64_t count = 1;
};

// One local_address_group entry: `ADDR`, `ADDR-ADDR`, or the FULLNAT forks' short forms
// `192.0.2.10-20` (last IPv4 octet, decimal) and `fd00::10-20` (last IPv6 group, hex).
Result<AddressRange> parseAddressRange(std::string_view text);

}  // namespace ha::director::config
