#include "director/config/repeat_spec.h"

#include <charconv>
#include <cstdint>

#include "director/config/definitions.h"

namespace ha::director::config {
namespace {

bool isBlank(char c) { return c == ' ' || c == '\t'; }

class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool atEnd() const { return pos_ >= text_.size(); }
  void skip() { ++pos_; }
  void skipBlanks() {
    while (!atEnd() && isBlank(text_[pos_])) ++pos_;
  }
  // Up to (not including) one of `stops` or the end.
  std::string_view until(std::string_view stops) {
    size_t end = text_.find_first_of(stops, pos_);
    if (end == std::string_view::npos) end = text_.size();
    std::string_view out = text_.substr(pos_, end - pos_);
    pos_ = end;
    return out;
  }
  std::string_view rest() const { return text_.substr(pos_ < text_.size() ? pos_ : text_.size()); }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

// strtol(3) with base 0, as keepalived reads ~SEQ's numbers: 10, -3, 0x1f, 017 (octal).
bool parseSeqNumber(std::string_view text, int64_t& value) {
  while (!text.empty() && isBlank(text.front())) text.remove_prefix(1);
  while (!text.empty() && isBlank(text.back())) text.remove_suffix(1);
  bool negative = false;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  } else if (text.size() > 1 && text[0] == '0') {
    base = 8;
    text.remove_prefix(1);
  }
  uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), magnitude, base);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return false;
  constexpr auto kMaxPositive = static_cast<uint64_t>(INT64_MAX);
  if (magnitude > kMaxPositive + (negative ? 1 : 0)) return false;
  value = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
  return true;
}

std::vector<std::string_view> splitCommas(std::string_view text) {
  std::vector<std::string_view> parts;
  for (size_t pos = 0;;) {
    size_t comma = text.find(',', pos);
    parts.push_back(text.substr(pos, comma == std::string_view::npos ? comma : comma - pos));
    if (comma == std::string_view::npos) return parts;
    pos = comma + 1;
  }
}

RepeatParse fail(std::string why) { return RepeatParse{std::nullopt, std::move(why)}; }

std::string badSeq(std::string_view line, std::string_view why) {
  return "bad ~SEQ '" + std::string(line) + "': " + std::string(why);
}

RepeatParse parseSeq(std::string_view line,
                     const std::function<std::string(std::string_view)>& substitute,
                     uint64_t maxCount) {
  RepeatSpec spec;
  Cursor c(line.substr(4));
  if (c.peek() == 'x') {
    spec.hex = true;
    c.skip();
  }
  c.skipBlanks();
  if (c.peek() != '(') return fail(badSeq(line, "'(' expected"));
  c.skip();
  c.skipBlanks();
  std::string var(c.until(" \t,)"));
  c.skipBlanks();
  if (!isParameterName(var)) return fail(badSeq(line, "'" + var + "' is not a variable name"));
  if (c.peek() != ',') return fail(badSeq(line, "',' and the numbers expected after the name"));
  c.skip();
  std::string_view numbersText = c.until(")");
  if (c.atEnd()) return fail(badSeq(line, "no closing ')'"));
  c.skip();
  std::string numbers = substitute(numbersText);
  auto parts = splitCommas(numbers);
  if (parts.size() > 3) return fail(badSeq(line, "at most START, STEP and END"));
  int64_t n[3] = {0, 0, 0};
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!parseSeqNumber(parts[i], n[i])) {
      return fail(badSeq(line, "'" + std::string(parts[i]) + "' is not a number"));
    }
  }
  int64_t end = 0;
  if (parts.size() == 1) {  // ~SEQ(v, END): from 1 (or -1) towards END
    end = n[0];
    spec.step = end < 1 ? -1 : 1;
    spec.start = end < 0 ? -1 : 1;
  } else if (parts.size() == 2) {
    spec.start = n[0];
    end = n[1];
    spec.step = spec.start <= end ? 1 : -1;
  } else {
    spec.start = n[0];
    spec.step = n[1];
    end = n[2];
    if (spec.step == 0 || (spec.start < end && spec.step < 0) ||
        (spec.start > end && spec.step > 0)) {
      return fail(badSeq(line, "STEP is 0 or goes away from END"));
    }
  }
  if (spec.hex && (spec.start < 0 || end < 0)) {
    return fail(badSeq(line, "~SEQx takes no negative numbers"));
  }
  // Unsigned arithmetic: END - START may not fit in int64_t.
  auto start = static_cast<uint64_t>(spec.start);
  auto last = static_cast<uint64_t>(end);
  uint64_t distance = spec.step > 0 ? last - start : start - last;
  uint64_t stride =
      spec.step > 0 ? static_cast<uint64_t>(spec.step) : 0 - static_cast<uint64_t>(spec.step);
  uint64_t repeats = distance / stride;
  if (repeats >= maxCount) {
    return fail("~SEQ(" + var + ", ...) repeats its line " +
                (repeats == UINT64_MAX ? std::string("2^64") : std::to_string(repeats + 1)) +
                " times: more than the " + std::to_string(maxCount) +
                " lines ~SEQ, ~LST and multi-line definitions may produce");
  }
  spec.count = repeats + 1;
  spec.vars.push_back(var);
  c.skipBlanks();
  spec.text = std::string(c.rest());
  return RepeatParse{std::move(spec), {}};
}

RepeatParse parseList(std::string_view line) {
  RepeatSpec spec;
  spec.isList = true;
  auto bad = [&](std::string_view why) {
    return fail("bad ~LST '" + std::string(line) + "': " + std::string(why));
  };
  Cursor c(line.substr(4));
  c.skipBlanks();
  if (c.peek() != '(') return bad("'(' expected");
  c.skip();
  c.skipBlanks();
  char endChar = ',';
  if (c.peek() == '{') {
    endChar = '}';
    c.skip();
    c.skipBlanks();
  }
  for (;;) {
    std::string var(c.until(" \t,})"));
    if (!isParameterName(var)) return bad("'" + var + "' is not a variable name");
    spec.vars.push_back(var);
    c.skipBlanks();
    if (c.peek() == endChar) break;
    if (c.peek() == ')') return bad("no values");
    if (c.peek() != ',') return bad("',' expected after " + var);
    c.skip();
    c.skipBlanks();
  }
  if (c.peek() == '}') {
    c.skip();
    c.skipBlanks();
  }
  if (c.peek() != ',') return bad("no values");
  c.skip();
  c.skipBlanks();
  for (;;) {
    endChar = ',';
    if (c.peek() == '{') {
      endChar = '}';
      c.skip();
      c.skipBlanks();
    }
    std::vector<std::string> row;
    for (;;) {
      row.emplace_back(c.until(" \t,})"));
      c.skipBlanks();
      if (c.peek() == endChar || (c.peek() == ')' && endChar == ',')) break;
      if (c.peek() != ',') return bad("',' or ')' expected after '" + row.back() + "'");
      c.skip();
      c.skipBlanks();
      if (row.size() >= spec.vars.size()) {
        return bad("more values than the " + std::to_string(spec.vars.size()) + " variables");
      }
    }
    row.resize(spec.vars.size());  // missing values are empty (keepalived)
    spec.rows.push_back(std::move(row));
    if (c.peek() == '}' && endChar == '}') {
      c.skip();
      c.skipBlanks();
    }
    if (c.peek() == ')') break;
    if (c.peek() != ',') return bad("',' or ')' expected between values");
    c.skip();
    c.skipBlanks();
  }
  c.skip();
  c.skipBlanks();
  spec.count = spec.rows.size();
  spec.text = std::string(c.rest());
  return RepeatParse{std::move(spec), {}};
}

}  // namespace

std::vector<std::string> RepeatSpec::valuesAt(uint64_t i) const {
  if (isList) return rows[i];
  auto value = static_cast<int64_t>(static_cast<uint64_t>(start) + i * static_cast<uint64_t>(step));
  char buf[24];
  auto [end, ec] = hex ? std::to_chars(buf, buf + sizeof buf, static_cast<uint64_t>(value), 16)
                       : std::to_chars(buf, buf + sizeof buf, value);
  (void)ec;  // 24 bytes hold any 64-bit number
  return {std::string(buf, end)};
}

std::string RepeatSpec::label() const {
  std::string names;
  for (const auto& v : vars) names += (names.empty() ? "" : ", ") + v;
  return std::string(isList ? "~LST(" : (hex ? "~SEQx(" : "~SEQ(")) + names + ")";
}

RepeatParse parseRepeat(std::string_view line,
                        const std::function<std::string(std::string_view)>& substitute,
                        uint64_t maxCount) {
  if (line.starts_with("~SEQ")) return parseSeq(line, substitute, maxCount);
  return parseList(line);
}

}  // namespace ha::director::config
