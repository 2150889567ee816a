#include "director/config/definitions.h"

#include <charconv>
#include <cstddef>
#include <utility>

#include "director/config/config_tree.h"

namespace ha::director::config {
namespace {

// ASCII only, whatever the locale (keepalived's isalpha/isalnum run in the C locale).
bool isAlpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isDigit(int c) { return c >= '0' && c <= '9'; }
bool isNameStart(int c) { return isAlpha(c) || c == '_'; }
bool isNameChar(int c) { return isNameStart(c) || isDigit(c); }
bool isBlank(char c) { return c == ' ' || c == '\t'; }

// The text still to scan, kept reversed: a value goes in front of it in O(its length) and the
// next character comes off the back, so a line's work is its length plus what values add.
class Rest {
 public:
  explicit Rest(std::string_view text) : reversed_(text.rbegin(), text.rend()) {}
  size_t size() const { return reversed_.size(); }
  bool empty() const { return reversed_.empty(); }
  // The i-th character from the front, or -1 past the end.
  int at(size_t i) const {
    return i < reversed_.size() ? static_cast<unsigned char>(reversed_[reversed_.size() - 1 - i])
                                : -1;
  }
  std::string slice(size_t from, size_t to) const {
    std::string out;
    for (size_t i = from; i < to; ++i) out += static_cast<char>(at(i));
    return out;
  }
  char take() {
    char c = reversed_.back();
    reversed_.pop_back();
    return c;
  }
  // Moves everything before the next `$` to `out` at once; false when there is no `$` left.
  bool takeUntilDollar(std::string& out) {
    size_t dollar = reversed_.rfind('$');
    size_t keep = dollar == std::string::npos ? 0 : dollar + 1;
    out.append(reversed_.rbegin(), reversed_.rend() - static_cast<std::ptrdiff_t>(keep));
    reversed_.resize(keep);
    return keep != 0;
  }
  void drop(size_t n) { reversed_.resize(reversed_.size() - n); }
  void prepend(std::string_view value) { reversed_.append(value.rbegin(), value.rend()); }
  std::string takeAll() {
    std::string out(reversed_.rbegin(), reversed_.rend());
    reversed_.clear();
    return out;
  }

 private:
  std::string reversed_;
};

struct Reference {
  std::string name;
  std::string params;  // ${_RANDOM 1 9}: "1 9"
  size_t length = 0;
  bool endsLine = false;
};

// At a `$`: `$NAME` ends at a blank, `,`, `)` or the line's end; `${NAME}` may be followed by
// anything and may carry numbers (keepalived find_definition).
std::optional<Reference> matchReference(const Rest& rest) {
  bool braces = rest.at(1) == '{';
  size_t i = braces ? 2 : 1;
  if (!isNameStart(rest.at(i))) return std::nullopt;
  size_t nameStart = i;
  while (isNameChar(rest.at(i))) ++i;
  Reference ref;
  ref.name = rest.slice(nameStart, i);
  if (braces) {
    size_t nameEnd = i;
    size_t paramStart = 0, paramEnd = 0;
    for (int c = rest.at(i); c == ' ' || isDigit(c); c = rest.at(++i)) {
      if (c == ' ') continue;
      if (paramStart == 0) paramStart = i;
      paramEnd = i + 1;
    }
    bool spacesOnly = i != nameEnd && paramStart == 0;
    if (spacesOnly || (paramStart != 0 && paramEnd != i) || rest.at(i) != '}') return std::nullopt;
    if (paramStart != 0) ref.params = rest.slice(paramStart, paramEnd);
    ++i;
  } else {
    int c = rest.at(i);
    if (c != -1 && c != ' ' && c != '\t' && c != ',' && c != ')') return std::nullopt;
  }
  ref.length = i;
  ref.endsLine = i == rest.size();
  return ref;
}

// The names whose values the scan is inside, innermost last; `mark` is the size of the rest
// where the value ends.
struct Region {
  std::string name;
  size_t mark = 0;
};

std::string chainText(const std::vector<Region>& regions, const std::string& last) {
  std::string out;
  for (const auto& r : regions) out += "$" + r.name + " -> ";
  return out + "$" + last;
}

bool parseNumber(std::string_view text, uint64_t& value) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

bool isParameterName(std::string_view name) {
  if (name.empty() || !isNameStart(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!isNameChar(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::optional<DefinitionLine> parseDefinitionLine(std::string_view line) {
  if (line.size() < 3 || line[0] != '$') return std::nullopt;
  size_t eq = line.find('=');
  if (eq == std::string_view::npos || !isParameterName(line.substr(1, eq - 1))) {
    return std::nullopt;
  }
  DefinitionLine def;
  def.name = std::string(line.substr(1, eq - 1));
  std::string_view value = line.substr(eq + 1);
  while (!value.empty() && isBlank(value.front())) value.remove_prefix(1);
  if (!value.empty() && value.back() == '\\') {
    def.continued = true;
    value.remove_suffix(1);
    while (!value.empty() && isBlank(value.back())) value.remove_suffix(1);
  }
  def.value = std::string(value);
  return def;
}

DefinitionTable::DefinitionTable(std::string instance)
    : instance_(std::move(instance)), random_(std::random_device{}()) {
  defs_["_PWD"] = Definition{Definition::Kind::kPwd, nullptr, false};
  defs_["_INSTANCE"] = Definition{Definition::Kind::kInstance, nullptr, false};
  defs_["_RANDOM"] = Definition{Definition::Kind::kRandom, nullptr, false};
  define("_HASH", {"#"}, false);
  define("_BANG", {"!"}, false);
  userDefined_ = false;
}

void DefinitionTable::define(const std::string& name, std::vector<std::string> lines,
                             bool multiline) {
  // A multi-line definition that collected nothing is an empty one-line value (keepalived).
  if (lines.empty()) {
    lines.emplace_back();
    multiline = false;
  }
  defs_[name] = Definition{Definition::Kind::kText,
                           std::make_shared<std::vector<std::string>>(std::move(lines)), multiline};
  userDefined_ = true;
}

void DefinitionTable::setVariable(const std::string& name, std::string value) {
  auto it = defs_.find(name);
  if (it != defs_.end() && it->second.kind == Definition::Kind::kText && !it->second.multiline &&
      it->second.lines.use_count() == 1) {
    it->second.lines->front() = std::move(value);
    return;
  }
  define(name, {std::move(value)}, false);
}

const Definition* DefinitionTable::find(std::string_view name) const {
  auto it = defs_.find(name);
  return it == defs_.end() ? nullptr : &it->second;
}

std::string DefinitionTable::valueOf(const Definition& def, std::string_view params,
                                     std::string_view pwd, std::string& error) {
  switch (def.kind) {
    case Definition::Kind::kText:
      return def.lines->front();
    case Definition::Kind::kPwd:
      return std::string(pwd);
    case Definition::Kind::kInstance:
      return instance_;
    case Definition::Kind::kRandom:
      break;
  }
  // ${_RANDOM [MIN [MAX]]}: 0..32767 by default (keepalived get_random).
  uint64_t bounds[2] = {0, 32767};
  size_t given = 0;
  for (size_t pos = 0; pos < params.size();) {
    size_t end = params.find(' ', pos);
    if (end == std::string_view::npos) end = params.size();
    if (end > pos) {
      if (given == 2) {
        error = "${_RANDOM " + std::string(params) + "}: at most MIN and MAX";
        return {};
      }
      if (!parseNumber(params.substr(pos, end - pos), bounds[given++])) {
        error = "${_RANDOM " + std::string(params) + "}: a number out of range";
        return {};
      }
    }
    pos = end + 1;
  }
  if (bounds[0] > bounds[1]) {
    error = "${_RANDOM " + std::string(params) + "}: MIN is greater than MAX";
    return {};
  }
  return std::to_string(std::uniform_int_distribution<uint64_t>(bounds[0], bounds[1])(random_));
}

Substitution DefinitionTable::substitute(std::string_view line, std::string_view pwd,
                                         const std::function<bool(std::string_view)>& expanding,
                                         size_t budget) {
  Substitution s;
  Rest rest(line);
  std::vector<Region> regions;
  size_t count = 0;
  // Whether the text written so far ends inside double quotes (a `$` there is often a shell's);
  // worked out only when a warning needs it, from where it was last worked out.
  bool quoted = false;
  size_t quotedUpTo = 0;
  auto inQuotes = [&] {
    for (; quotedUpTo < s.text.size(); ++quotedUpTo) {
      char c = s.text[quotedUpTo];
      if (c == '\\' && quoted) {
        ++quotedUpTo;
      } else if (c == '"') {
        quoted = !quoted;
      }
    }
    return quoted;
  };
  auto keep = [&] { s.text += rest.take(); };
  while (rest.takeUntilDollar(s.text)) {
    while (!regions.empty() && rest.size() <= regions.back().mark) regions.pop_back();
    auto ref = matchReference(rest);
    const Definition* def = ref ? find(ref->name) : nullptr;
    if (def != nullptr && def->multiline && !ref->endsLine) {
      if (!inQuotes()) {
        s.warnings.push_back("$" + ref->name +
                             " is a multi-line definition: it is replaced only at the end of a "
                             "line; left as written");
      }
      def = nullptr;
    }
    if (def != nullptr && !ref->params.empty() && def->kind != Definition::Kind::kRandom) {
      def = nullptr;
    }
    if (def == nullptr) {
      if (ref && userDefined_ && s.warnings.size() < 8 && !inQuotes()) {
        s.warnings.push_back("$" + ref->name + " is not defined: left as written");
      }
      keep();
      continue;
    }
    for (const auto& region : regions) {
      if (region.name == ref->name) {
        s.error = "$" + ref->name + " uses itself: " + chainText(regions, ref->name);
        return s;
      }
    }
    if (def->multiline && expanding(ref->name)) {
      s.error = "multi-line definition $" + ref->name + " uses itself (it is being expanded)";
      return s;
    }
    if (++count > kMaxSubstitutionsPerLine) {
      s.error = "more than " + std::to_string(kMaxSubstitutionsPerLine) +
                " parameter substitutions in one line";
      return s;
    }
    std::string value = valueOf(*def, ref->params, pwd, s.error);
    if (!s.error.empty()) return s;
    if (def->multiline && def->lines->size() > 1) s.rests.push_back({ref->name, def->lines, 1});
    s.bytesWritten += value.size();
    if (s.bytesWritten > budget) return s;  // the caller stops the load: its limit, its message
    if (s.text.size() + rest.size() - ref->length + value.size() > kMaxLineBytes) {
      s.error = "substituting $" + ref->name + " makes the line longer than " +
                std::to_string(kMaxLineBytes) + " bytes";
      return s;
    }
    rest.drop(ref->length);
    size_t mark = rest.size();
    // A reference that ran past the end of an enclosing value has left it.
    while (!regions.empty() && regions.back().mark > mark) regions.pop_back();
    rest.prepend(value);
    regions.push_back({ref->name, mark});
    s.changed = true;
    // A value starting with `~` at the start of the line makes it a ~SEQ/~LST line: the rest is
    // its repeated text, substituted at each repetition (keepalived replace_param stops here).
    size_t firstUsed = value.find_first_not_of(" \t");
    if (s.text.find_first_not_of(" \t") == std::string::npos && firstUsed != std::string::npos &&
        value[firstUsed] == '~') {
      s.text += rest.takeAll();
    }
  }
  return s;
}

}  // namespace ha::director::config
