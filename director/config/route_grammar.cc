#include "director/config/route_grammar.h"

#include <algorithm>
#include <array>
#include <map>
#include <string>
#include <vector>

#include "director/config/node_rules.h"
#include "director/config/vrrp_statements.h"

namespace ha::director::config {
namespace {

template <size_t N>
bool contains(const std::array<std::string_view, N>& list, std::string_view word) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

// keepalived route options that set what directord does not (metrics, encapsulation, multipath,
// VRFs, expiry): refused, as skipping them would install a different route than the one written.
constexpr std::array<std::string_view, 22> kRouteOptionsRefused = {"mtu",
                                                                   "hoplimit",
                                                                   "advmss",
                                                                   "rtt",
                                                                   "rttvar",
                                                                   "reordering",
                                                                   "window",
                                                                   "cwnd",
                                                                   "ssthresh",
                                                                   "realms",
                                                                   "rto_min",
                                                                   "initcwnd",
                                                                   "initrwnd",
                                                                   "features",
                                                                   "quickack",
                                                                   "congctl",
                                                                   "pref",
                                                                   "ttl-propagate",
                                                                   "fastopen_no_cookie",
                                                                   "encap",
                                                                   "expires",
                                                                   "as"};
constexpr std::array<std::string_view, 8> kRouteTypesRefused = {
    "local", "nat", "broadcast", "brd", "anycast", "multicast", "throw", "xresolve"};
constexpr std::array<std::string_view, 13> kRuleOptionsRefused = {
    "realms",    "suppress_prefixlength",
    "sup_pl",    "suppress_ifgroup",
    "sup_group", "tunnel-id",
    "uidrange",  "l3mdev",
    "ipproto",   "sport",
    "dport",     "goto",
    "nop"};

constexpr std::string_view kRouteSubset =
    "directord installs dest, src, from, via, dev, onlink, table, metric, proto, scope, tos and "
    "type unicast|blackhole|unreachable|prohibit";
constexpr std::string_view kRuleSubset =
    "directord installs from, to, iif, oif, fwmark, tos, priority, proto and the actions table or "
    "blackhole|unreachable|prohibit";

// The line's words, with a reader that reports where it fails.
class Words {
 public:
  Words(const Node& entry, std::string what, DiagnosticSink& sink)
      : entry_(entry), what_(std::move(what)), sink_(sink) {
    words_.push_back(entry.keyword);
    words_.insert(words_.end(), entry.args.begin(), entry.args.end());
  }
  bool done() const { return i_ >= words_.size(); }
  const std::string& next() { return words_[i_++]; }
  // The value after option `key`; reports and returns nullopt at the end of the line.
  std::optional<std::string> value(const std::string& key) {
    if (done()) {
      fail("'" + key + "' needs a value");
      return std::nullopt;
    }
    return next();
  }
  void fail(const std::string& why) {
    sink_.error(entry_.where, what_ + ": " + why);
    failed_ = true;
  }
  void warn(const std::string& why) { sink_.warning(entry_.where, what_ + ": " + why); }
  bool failed() const { return failed_; }

 private:
  const Node& entry_;
  std::string what_;
  DiagnosticSink& sink_;
  std::vector<std::string> words_;
  size_t i_ = 0;
  bool failed_ = false;
};

std::string lineText(const Node& entry) {
  std::string text = entry.keyword;
  for (const auto& a : entry.args) text += " " + a;
  return text;
}

// Family bookkeeping: the first address (or inet/inet6) decides; a second family is an error.
struct FamilyOf {
  std::optional<Family> family;
  bool set(Family f, Words& w) {
    if (family && *family != f) {
      w.fail("mixes IPv4 and IPv6");
      return false;
    }
    family = f;
    return true;
  }
};

bool hostBitsClear(const IpPrefix& p) {
  const size_t bytes = p.address.size();
  const uint8_t* b = p.address.bytes();
  for (size_t i = 0; i < bytes; ++i) {
    const int bitsHere = std::clamp(static_cast<int>(p.length) - static_cast<int>(i * 8), 0, 8);
    const auto mask = static_cast<uint8_t>(bitsHere == 8 ? 0xff : (0xff00 >> bitsHere) & 0xff);
    if ((b[i] & ~mask) != 0) return false;
  }
  return true;
}

std::optional<IpPrefix> prefixWord(const std::string& text, std::string_view what, Words& w) {
  auto p = IpPrefix::parse(text);
  if (!p) {
    w.fail("invalid " + std::string(what) + " '" + text + "': expected ADDR[/LEN]");
    return std::nullopt;
  }
  if (!hostBitsClear(*p)) {
    w.fail(std::string(what) + " " + text +
           " has host bits set (the kernel refuses it): write the network");
    return std::nullopt;
  }
  return p;
}

std::optional<uint32_t> numberWord(const std::string& text, const std::string& key, uint32_t max,
                                   Words& w) {
  static const std::map<std::string, uint32_t, std::less<>> none;
  auto n = iproute2Value(text, none, max);
  if (!n) w.fail("invalid " + key + " '" + text + "': expected 0.." + std::to_string(max));
  return n;
}

std::optional<uint8_t> scopeWord(const std::string& text, Words& w) {
  static const std::map<std::string, uint32_t, std::less<>> scopes = {
      {"global", 0}, {"universe", 0}, {"site", 200},
      {"link", 253}, {"host", 254},   {"nowhere", 255}};
  auto n = iproute2Value(text, scopes, 255);
  if (!n)
    w.fail("invalid scope '" + text + "': expected global, site, link, host, nowhere or 0..255");
  if (!n) return std::nullopt;
  return static_cast<uint8_t>(*n);
}

// A routing table by number or rt_tables name; 0 (unspec) is no table.
std::optional<uint32_t> tableWord(const std::string& text, const Iproute2Names& names, Words& w) {
  auto n = iproute2Value(text, names.tables, UINT32_MAX);
  if (!n || *n == 0) {
    w.fail("routing table '" + text +
           "' not found (a number 1..4294967295, or a name in rt_tables)");
    return std::nullopt;
  }
  return n;
}

// An rtnetlink protocol by number or rt_protos name.
std::optional<uint8_t> protocolWord(const std::string& text, const Iproute2Names& names, Words& w) {
  auto n = iproute2Value(text, names.protocols, 255);
  if (!n) {
    w.fail("protocol '" + text + "' not found (0..255, or a name in rt_protos)");
    return std::nullopt;
  }
  return static_cast<uint8_t>(*n);
}

std::optional<std::string> deviceWord(const std::string& text, Words& w) {
  if (text.empty() || text.size() > kMaxInterfaceName || text.find('/') != std::string::npos) {
    w.fail("invalid interface name '" + text + "'");
    return std::nullopt;
  }
  return text;
}

std::optional<RouteType> routeTypeWord(std::string_view word) {
  if (word == "unicast") return RouteType::kUnicast;
  if (word == "blackhole") return RouteType::kBlackhole;
  if (word == "unreachable") return RouteType::kUnreachable;
  if (word == "prohibit") return RouteType::kProhibit;
  return std::nullopt;
}

// The destination words: [to] [TYPE] DEST|default.
void readDestination(std::string word, Words& w, RouteSpec& r, std::optional<std::string>& dest,
                     bool& typed) {
  if (word == "to") {
    if (w.done()) return w.fail("'to' needs a destination");
    word = w.next();
  }
  if (auto type = routeTypeWord(word)) {
    r.type = *type;
    typed = true;
    if (w.done()) return w.fail("route type '" + word + "' needs a destination");
    word = w.next();
  } else if (contains(kRouteTypesRefused, word)) {
    return w.fail("route type '" + word + "' not supported (" + std::string(kRouteSubset) + ")");
  }
  if (dest) return w.fail("two destinations ('" + *dest + "' and '" + word + "')");
  dest = word;
}

}  // namespace

std::optional<RouteLine> parseRouteLine(const Node& entry, std::string_view block,
                                        const Iproute2Names& names, DiagnosticSink& sink) {
  checkNoBlock(entry, sink);
  Words w(entry, std::string(block) + " '" + lineText(entry) + "'", sink);
  RouteLine out;
  RouteSpec& r = out.spec;
  FamilyOf family;
  std::optional<std::string> dest;
  bool scoped = false, typed = false;
  while (!w.done() && !w.failed()) {
    const std::string key = w.next();
    if (key == "inet" || key == "inet6") {
      family.set(key == "inet" ? Family::kV4 : Family::kV6, w);
    } else if (key == "src" || key == "via" || key == "gw") {
      auto text = w.value(key);
      if (!text) break;
      if ((key != "src") && (*text == "inet" || *text == "inet6")) {
        if (!family.set(*text == "inet" ? Family::kV4 : Family::kV6, w)) break;
        text = w.value(key);
        if (!text) break;
      }
      auto a = IpAddress::parse(*text);
      if (!a) {
        w.fail("invalid " + key + " address '" + *text + "'");
        break;
      }
      if (!family.set(a->family(), w)) break;
      if (key == "gw") w.warn("'gw' is deprecated (keepalived says so too): write 'via'");
      (key == "src" ? r.src : r.via) = *a;
    } else if (key == "from") {
      auto text = w.value(key);
      if (!text) break;
      auto p = prefixWord(*text, "from prefix", w);
      if (!p) break;
      if (p->address.isV4()) {
        w.fail(
            "'from' (a source prefix) is IPv6 only, as in keepalived; for a preferred source "
            "address write 'src'");
        break;
      }
      family.set(Family::kV6, w);
      r.from = *p;
    } else if (key == "tos" || key == "dsfield") {
      auto text = w.value(key);
      if (auto n = text ? numberWord(*text, key, 255, w) : std::nullopt)
        r.tos = static_cast<uint8_t>(*n);
    } else if (key == "table") {
      auto text = w.value(key);
      auto n = text ? tableWord(*text, names, w) : std::nullopt;
      if (!n) break;
      r.table = *n;
    } else if (key == "protocol" || key == "proto") {
      auto text = w.value(key);
      if (auto n = text ? protocolWord(*text, names, w) : std::nullopt) r.protocol = *n;
    } else if (key == "scope") {
      auto text = w.value(key);
      if (auto s = text ? scopeWord(*text, w) : std::nullopt) {
        r.scope = *s;
        scoped = true;
      }
    } else if (key == "metric" || key == "priority" || key == "preference") {
      auto text = w.value(key);
      if (auto n = text ? numberWord(*text, key, UINT32_MAX, w) : std::nullopt) r.metric = *n;
    } else if (key == "dev" || key == "oif") {
      auto text = w.value(key);
      if (auto d = text ? deviceWord(*text, w) : std::nullopt) r.dev = *d;
    } else if (key == "onlink") {
      r.onlink = true;
    } else if (key == "no_track") {
      out.noTrack = true;
    } else if (key == "add" || key == "prepend" || key == "append") {
      r.mode = key == "add"      ? RouteAddMode::kAdd
               : key == "append" ? RouteAddMode::kAppend
                                 : RouteAddMode::kPrepend;
    } else if (key == "or" || key == "nexthop") {
      w.fail("multipath routes ('" + key +
             "') not supported: directord installs one gateway per route");
    } else if (key == "track_group") {
      w.fail("track_group not supported: directord builds no static_track_group");
    } else if (key == "vrf") {
      w.fail("vrf not supported: write the VRF's table with 'table'");
    } else if (contains(kRouteOptionsRefused, key)) {
      w.fail("route option '" + key + "' not supported (" + std::string(kRouteSubset) + ")");
    } else {
      readDestination(key, w, r, dest, typed);
    }
  }
  if (w.failed()) return std::nullopt;
  if (!dest) {
    w.fail("a route needs a destination (ADDR/LEN or default)");
    return std::nullopt;
  }
  if (*dest == "default" || *dest == "all" || *dest == "any") {
    r.dst = IpPrefix{
        family.family.value_or(Family::kV4) == Family::kV4 ? IpAddress() : *IpAddress::parse("::"),
        0};
  } else {
    auto p = prefixWord(*dest, "destination", w);
    if (!p) return std::nullopt;
    if (!family.set(p->address.family(), w)) return std::nullopt;
    r.dst = *p;
  }
  const bool v4 = r.family() == Family::kV4;
  if (r.type == RouteType::kUnicast && !r.via && r.dev.empty()) {
    w.fail("a unicast route needs 'via' or 'dev'");
  } else if (r.type != RouteType::kUnicast && (r.via || !r.dev.empty())) {
    w.fail("a " + std::string(routeTypeName(r.type)) +
           " route takes no 'via' or 'dev' (the kernel refuses them)");
  } else if (r.onlink && !r.via) {
    w.fail("'onlink' needs 'via' (it says the gateway is on the link)");
  } else if (!v4 && r.tos != 0) {
    w.fail("tos is IPv4 only");
  }
  if (w.failed()) return std::nullopt;
  // `ip route add` gives a gateway-less IPv4 unicast route scope link (a gateway can then be
  // resolved through it); keepalived 2.2.7 sends universe, which such a lookup cannot use.
  if (!scoped && v4 && r.type == RouteType::kUnicast && !r.via) r.scope = kScopeLink;
  (void)typed;
  return out;
}

std::optional<RuleLine> parseRuleLine(const Node& entry, std::string_view block,
                                      const Iproute2Names& names, RulePriorities& priorities,
                                      DiagnosticSink& sink) {
  checkNoBlock(entry, sink);
  Words w(entry, std::string(block) + " '" + lineText(entry) + "'", sink);
  RuleLine out;
  RuleSpec& r = out.spec;
  FamilyOf family;
  bool prioritised = false, acted = false;
  auto setAction = [&](RuleAction a) {
    if (acted) return w.fail("two actions");
    r.action = a;
    acted = true;
  };
  while (!w.done() && !w.failed()) {
    const std::string key = w.next();
    if (key == "inet" || key == "inet6") {
      family.set(key == "inet" ? Family::kV4 : Family::kV6, w);
    } else if (key == "from" || key == "to") {
      auto text = w.value(key);
      if (!text) break;
      if (*text == "all" || *text == "any" || *text == "default") continue;  // no selector
      auto p = prefixWord(*text, key + " prefix", w);
      if (!p || !family.set(p->address.family(), w)) break;
      (key == "from" ? r.from : r.to) = *p;
    } else if (key == "table" || key == "lookup") {
      auto text = w.value(key);
      auto n = text ? tableWord(*text, names, w) : std::nullopt;
      if (!n) break;
      r.table = *n;
      setAction(RuleAction::kTable);
    } else if (key == "preference" || key == "order" || key == "priority") {
      auto text = w.value(key);
      if (auto n = text ? numberWord(*text, key, UINT32_MAX, w) : std::nullopt) {
        r.priority = *n;
        prioritised = true;
      }
    } else if (key == "tos" || key == "dsfield") {
      auto text = w.value(key);
      if (auto n = text ? numberWord(*text, key, 255, w) : std::nullopt)
        r.tos = static_cast<uint8_t>(*n);
    } else if (key == "fwmark") {
      auto text = w.value(key);
      if (!text) break;
      const auto slash = text->find('/');
      auto mark = numberWord(text->substr(0, slash), "fwmark", UINT32_MAX, w);
      if (!mark) break;
      r.fwmark = *mark;
      if (slash != std::string::npos) {
        auto mask = numberWord(text->substr(slash + 1), "fwmark mask", UINT32_MAX, w);
        if (!mask) break;
        r.fwmask = *mask;
      }
    } else if (key == "dev" || key == "iif" || key == "oif") {
      auto text = w.value(key);
      if (auto d = text ? deviceWord(*text, w) : std::nullopt) (key == "oif" ? r.oif : r.iif) = *d;
    } else if (key == "protocol" || key == "proto") {
      auto text = w.value(key);
      if (auto n = text ? protocolWord(*text, names, w) : std::nullopt) r.protocol = *n;
    } else if (key == "no_track") {
      out.noTrack = true;
    } else if (key == "not") {
      w.fail("'not' (an inverted selector) not supported (" + std::string(kRuleSubset) + ")");
    } else if (key == "track_group") {
      w.fail("track_group not supported: directord builds no static_track_group");
    } else if (contains(kRuleOptionsRefused, key)) {
      w.fail("rule option '" + key + "' not supported (" + std::string(kRuleSubset) + ")");
    } else {
      std::string word = key;
      if (word == "type") {
        auto text = w.value(key);
        if (!text) break;
        word = *text;
      }
      if (word == "blackhole")
        setAction(RuleAction::kBlackhole);
      else if (word == "unreachable")
        setAction(RuleAction::kUnreachable);
      else if (word == "prohibit")
        setAction(RuleAction::kProhibit);
      else
        w.fail("unknown rule keyword '" + word + "'");
    }
  }
  if (w.failed()) return std::nullopt;
  if (!acted) {
    w.fail("no action: write 'table T' (or lookup), or blackhole, unreachable, prohibit");
    return std::nullopt;
  }
  r.family = family.family.value_or(Family::kV4);
  if (!prioritised) {
    uint32_t& next = r.family == Family::kV4 ? priorities.nextV4 : priorities.nextV6;
    r.priority = next--;
    w.warn(
        "no preference given: " + std::to_string(r.priority) +
        " assigned, as keepalived does (counting down from 16384 per family); give each rule one");
  }
  return out;
}

}  // namespace ha::director::config
