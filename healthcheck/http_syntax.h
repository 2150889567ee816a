#pragma once
// The lexical rules of HTTP (RFC 9110 §5, RFC 9112 §5) that the response parser and the checker
// share, and how a bad line is shown to operators.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ha::healthcheck::http {

bool isDigit(char c);
int hexValue(char c);      // -1 when not a hex digit
bool isTokenChar(char c);  // RFC 9110 §5.6.2 tchar
// RFC 9110 §5.5: field-vchar, obs-text, SP and HTAB; every other control byte is refused.
bool isFieldValueChar(char c);
bool isWhitespace(char c);  // SP or HTAB (OWS/BWS)
std::string_view trimWhitespace(std::string_view s);
bool equalsIgnoringCase(std::string_view a, std::string_view b);  // ASCII only, as field names
// At most 40 bytes, quoted, with anything unprintable as \xNN: safe in a log line.
std::string excerpt(std::string_view s);
// `name: value` (RFC 9112 §5): a token name right before the colon, the value without OWS and
// made of field-value chars only. False when the line is not one.
bool splitFieldLine(std::string_view line, std::string_view& name, std::string_view& value);
// The elements of a comma-separated field value (RFC 9110 §5.6.1), trimmed; empty ones kept.
std::vector<std::string_view> listElements(std::string_view value);
// 1*DIGIT (RFC 9110 §8.6) to a number; nullopt when it does not fit 64 bits.
std::optional<uint64_t> parseDecimal(std::string_view digits);

}  // namespace ha::healthcheck::http
