#include "common/netlink/routing_entry.h"

#include <charconv>
#include <vector>

namespace ha {
namespace {

std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    const size_t start = i;
    while (i < text.size() && text[i] != ' ') ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

template <typename T>
std::optional<T> number(std::string_view text) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// A prefix written with its length (the canonical text always writes it).
std::optional<IpPrefix> prefix(std::string_view text) {
  if (text.find('/') == std::string_view::npos) return std::nullopt;
  return IpPrefix::parse(text);
}

bool plainName(std::string_view s) {
  if (s.empty() || s.size() > 15) return false;  // IFNAMSIZ - 1
  for (char c : s) {
    if (c <= ' ' || c >= 0x7f) return false;
  }
  return true;
}

std::optional<RouteType> routeType(std::string_view name) {
  for (auto t : {RouteType::kUnicast, RouteType::kBlackhole, RouteType::kUnreachable,
                 RouteType::kProhibit}) {
    if (routeTypeName(t) == name) return t;
  }
  return std::nullopt;
}

std::optional<RuleAction> ruleAction(std::string_view name) {
  for (auto a : {RuleAction::kTable, RuleAction::kBlackhole, RuleAction::kUnreachable,
                 RuleAction::kProhibit}) {
    if (ruleActionName(a) == name) return a;
  }
  return std::nullopt;
}

std::string_view modeName(RouteAddMode mode) {
  switch (mode) {
    case RouteAddMode::kAdd:
      return "add";
    case RouteAddMode::kAppend:
      return "append";
    case RouteAddMode::kPrepend:
      break;
  }
  return "prepend";
}

// Walks KEY VALUE pairs (and bare flags); `take` returns false for a word it does not know.
class Cursor {
 public:
  explicit Cursor(std::vector<std::string_view> w) : w_(std::move(w)) {}
  bool done() const { return i_ >= w_.size(); }
  std::string_view next() { return i_ < w_.size() ? w_[i_++] : std::string_view{}; }
  std::string_view peek() const { return i_ < w_.size() ? w_[i_] : std::string_view{}; }

 private:
  std::vector<std::string_view> w_;
  size_t i_ = 0;
};

Error bad(std::string_view what, std::string_view word) {
  return Error{"bad " + std::string(what) + " '" + std::string(word) + "'"};
}

Result<RoutingEntry> parseRoute(Cursor& c) {
  RouteSpec r;
  auto type = routeType(c.next());
  if (!type) return Error{"route: expected a type first"};
  r.type = *type;
  auto dst = prefix(c.next());
  if (!dst) return Error{"route: expected DEST/LEN after the type"};
  r.dst = *dst;
  bool table = false, proto = false, scope = false, tos = false, mode = false;
  while (!c.done()) {
    const std::string_view key = c.next();
    if (key == "onlink") {
      r.onlink = true;
      continue;
    }
    const std::string_view value = c.next();
    if (value.empty()) return Error{"route: '" + std::string(key) + "' without a value"};
    if (key == "from") {
      r.from = prefix(value);
      if (!r.from) return bad("route from", value);
    } else if (key == "src" || key == "via") {
      auto a = IpAddress::parse(value);
      if (!a) return bad("route " + std::string(key), value);
      (key == "src" ? r.src : r.via) = *a;
    } else if (key == "dev") {
      if (!plainName(value)) return bad("route dev", value);
      r.dev = std::string(value);
    } else if (key == "table" || key == "metric") {
      auto n = number<uint32_t>(value);
      if (!n) return bad("route " + std::string(key), value);
      if (key == "table") {
        r.table = *n;
        table = true;
      } else {
        r.metric = *n;
      }
    } else if (key == "proto" || key == "scope" || key == "tos") {
      auto n = number<uint8_t>(value);
      if (!n) return bad("route " + std::string(key), value);
      (key == "proto" ? r.protocol : key == "scope" ? r.scope : r.tos) = *n;
      (key == "proto" ? proto : key == "scope" ? scope : tos) = true;
    } else if (key == "mode") {
      if (value == "prepend")
        r.mode = RouteAddMode::kPrepend;
      else if (value == "add")
        r.mode = RouteAddMode::kAdd;
      else if (value == "append")
        r.mode = RouteAddMode::kAppend;
      else
        return bad("route mode", value);
      mode = true;
    } else {
      return bad("route word", key);
    }
  }
  if (!table || !proto || !scope || !tos || !mode)
    return Error{"route: table, proto, scope, tos and mode are required"};
  return RoutingEntry{r};
}

Result<RoutingEntry> parseRule(Cursor& c) {
  RuleSpec r;
  const std::string_view family = c.next();
  if (family != "inet" && family != "inet6") return Error{"rule: expected inet or inet6 first"};
  r.family = family == "inet" ? Family::kV4 : Family::kV6;
  bool priority = false, action = false, proto = false;
  while (!c.done()) {
    const std::string_view key = c.next();
    const std::string_view value = c.next();
    if (value.empty()) return Error{"rule: '" + std::string(key) + "' without a value"};
    if (key == "from" || key == "to") {
      auto p = prefix(value);
      if (!p) return bad("rule " + std::string(key), value);
      (key == "from" ? r.from : r.to) = *p;
    } else if (key == "iif" || key == "oif") {
      if (!plainName(value)) return bad("rule " + std::string(key), value);
      (key == "iif" ? r.iif : r.oif) = std::string(value);
    } else if (key == "priority" || key == "table" || key == "fwmark" || key == "fwmask") {
      auto n = number<uint32_t>(value);
      if (!n) return bad("rule " + std::string(key), value);
      if (key == "priority") {
        r.priority = *n;
        priority = true;
      } else if (key == "table") {
        r.table = *n;
      } else {
        (key == "fwmark" ? r.fwmark : r.fwmask) = *n;
      }
    } else if (key == "tos" || key == "proto") {
      auto n = number<uint8_t>(value);
      if (!n) return bad("rule " + std::string(key), value);
      (key == "tos" ? r.tos : r.protocol) = *n;
      proto = proto || key == "proto";
    } else if (key == "action") {
      auto a = ruleAction(value);
      if (!a) return bad("rule action", value);
      r.action = *a;
      action = true;
    } else {
      return bad("rule word", key);
    }
  }
  if (!priority || !action || !proto) return Error{"rule: priority, proto and action are required"};
  return RoutingEntry{r};
}

}  // namespace

std::string_view routeTypeName(RouteType type) {
  switch (type) {
    case RouteType::kBlackhole:
      return "blackhole";
    case RouteType::kUnreachable:
      return "unreachable";
    case RouteType::kProhibit:
      return "prohibit";
    case RouteType::kUnicast:
      break;
  }
  return "unicast";
}

std::string_view ruleActionName(RuleAction action) {
  switch (action) {
    case RuleAction::kBlackhole:
      return "blackhole";
    case RuleAction::kUnreachable:
      return "unreachable";
    case RuleAction::kProhibit:
      return "prohibit";
    case RuleAction::kTable:
      break;
  }
  return "table";
}

std::string RouteSpec::str() const {
  std::string out = std::string(routeTypeName(type)) + " " + dst.str();
  if (from) out += " from " + from->str();
  if (src) out += " src " + src->str();
  if (via) out += " via " + via->str();
  if (!dev.empty()) out += " dev " + dev;
  if (onlink) out += " onlink";
  out += " table " + std::to_string(table);
  if (metric) out += " metric " + std::to_string(*metric);
  out += " proto " + std::to_string(protocol) + " scope " + std::to_string(scope) + " tos " +
         std::to_string(tos);
  return out + " mode " + std::string(modeName(mode));
}

std::string RuleSpec::str() const {
  std::string out = family == Family::kV4 ? "inet" : "inet6";
  if (from) out += " from " + from->str();
  if (to) out += " to " + to->str();
  if (!iif.empty()) out += " iif " + iif;
  if (!oif.empty()) out += " oif " + oif;
  if (fwmark) out += " fwmark " + std::to_string(*fwmark);
  if (fwmask) out += " fwmask " + std::to_string(*fwmask);
  out += " tos " + std::to_string(tos) + " priority " + std::to_string(priority) + " proto " +
         std::to_string(protocol) + " action " + std::string(ruleActionName(action));
  return out + " table " + std::to_string(table);
}

std::string describe(const RoutingEntry& entry) {
  if (const auto* r = std::get_if<RouteSpec>(&entry)) return "route " + r->str();
  return "rule " + std::get<RuleSpec>(entry).str();
}

Result<RoutingEntry> parseRoutingEntry(std::string_view text) {
  auto w = words(text);
  if (w.empty()) return Error{"empty routing entry"};
  const std::string_view kind = w.front();
  w.erase(w.begin());
  Cursor c(std::move(w));
  if (kind == "route") return parseRoute(c);
  if (kind == "rule") return parseRule(c);
  return bad("routing entry kind", kind);
}

}  // namespace ha
