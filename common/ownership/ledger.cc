#include "common/ownership/ledger.h"

#include <algorithm>
#include <charconv>
#include <limits>

namespace ha {
namespace {

constexpr std::string_view kMagic = "directord-state";
constexpr uint32_t kVersion = 1;
constexpr size_t kMaxName = 255;  // nft identifiers; interface names are far shorter (IFNAMSIZ)

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
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

// Device names, labels, nft families and table names: printable, no spaces (the codec splits on
// them), bounded.
bool plainName(std::string_view s) {
  if (s.empty() || s.size() > kMaxName) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

bool knownRouteType(std::string_view t) {
  return t == "unicast" || t == "blackhole" || t == "unreachable" || t == "prohibit";
}

Error lineError(size_t lineNo, const std::string& what) {
  return Error{"line " + std::to_string(lineNo) + ": " + what};
}

// address PREFIX dev DEV [label LABEL] role static|vrrp
Result<LedgerAddress> parseAddress(const std::vector<std::string_view>& w, size_t lineNo) {
  if (w.size() != 6 && w.size() != 8) return lineError(lineNo, "address: expected PREFIX dev DEV [label L] role R");
  auto prefix = IpPrefix::parse(w[1]);
  if (!prefix || w[1].find('/') == std::string_view::npos) {
    return lineError(lineNo, "address: bad prefix '" + std::string(w[1]) + "'");
  }
  LedgerAddress a;
  a.address.prefix = *prefix;
  size_t i = 2;
  if (w[i] != "dev" || !plainName(w[i + 1])) return lineError(lineNo, "address: expected dev DEV");
  a.address.dev = std::string(w[i + 1]);
  i += 2;
  if (w.size() == 8) {
    if (w[i] != "label" || !plainName(w[i + 1])) return lineError(lineNo, "address: expected label LABEL");
    a.address.label = std::string(w[i + 1]);
    i += 2;
  }
  if (w[i] != "role") return lineError(lineNo, "address: expected role static|vrrp");
  if (w[i + 1] == "static") {
    a.role = AddressRole::kStatic;
  } else if (w[i + 1] == "vrrp") {
    a.role = AddressRole::kVrrp;
  } else {
    return lineError(lineNo, "address: unknown role '" + std::string(w[i + 1]) + "'");
  }
  return a;
}

// route PREFIX table N type T [dev DEV]
Result<LedgerRoute> parseRoute(const std::vector<std::string_view>& w, size_t lineNo) {
  if (w.size() != 6 && w.size() != 8) return lineError(lineNo, "route: expected PREFIX table N type T [dev DEV]");
  auto prefix = IpPrefix::parse(w[1]);
  if (!prefix || w[1].find('/') == std::string_view::npos) {
    return lineError(lineNo, "route: bad prefix '" + std::string(w[1]) + "'");
  }
  LedgerRoute r;
  r.prefix = *prefix;
  auto table = w[2] == "table" ? number<uint32_t>(w[3]) : std::nullopt;
  if (!table || *table == 0) return lineError(lineNo, "route: expected table N (1-4294967295)");
  r.table = *table;
  if (w[4] != "type" || !knownRouteType(w[5])) return lineError(lineNo, "route: expected type unicast|blackhole|unreachable|prohibit");
  r.type = std::string(w[5]);
  if (w.size() == 8) {
    if (w[6] != "dev" || !plainName(w[7])) return lineError(lineNo, "route: expected dev DEV");
    r.dev = std::string(w[7]);
  }
  return r;
}

// [forget] routing ENTRY [role static|vrrp]: the entry is describe()'s text, up to the role.
Result<LedgerRouting> parseRoutingLine(std::string_view line, bool forget, size_t lineNo) {
  std::string_view rest = line.substr(line.find("routing") + 7);
  LedgerRouting out;
  if (!forget) {
    const size_t at = rest.rfind(" role ");
    if (at == std::string_view::npos)
      return lineError(lineNo, "routing: expected ENTRY role static|vrrp");
    const std::string_view role = rest.substr(at + 6);
    if (role == "static") {
      out.role = AddressRole::kStatic;
    } else if (role == "vrrp") {
      out.role = AddressRole::kVrrp;
    } else {
      return lineError(lineNo, "routing: unknown role '" + std::string(role) + "'");
    }
    rest = rest.substr(0, at);
  }
  auto entry = parseRoutingEntry(rest);
  if (!entry) return lineError(lineNo, "routing: " + entry.error());
  out.entry = std::move(entry.value());
  return out;
}

}  // namespace

std::string_view roleName(AddressRole role) { return role == AddressRole::kVrrp ? "vrrp" : "static"; }

bool sameAddress(const OwnedAddress& a, const OwnedAddress& b) {
  return a.prefix == b.prefix && a.dev == b.dev;
}

const LedgerAddress* findAddress(const Ledger& ledger, const OwnedAddress& address) {
  for (const auto& entry : ledger.addresses) {
    if (sameAddress(entry.address, address)) return &entry;
  }
  return nullptr;
}

bool recordAddress(Ledger& ledger, const OwnedAddress& address, AddressRole role) {
  for (auto& entry : ledger.addresses) {
    if (!sameAddress(entry.address, address)) continue;
    if (entry.address == address && entry.role == role) return false;
    entry.address = address;
    entry.role = role;
    return true;
  }
  ledger.addresses.push_back({address, role});
  return true;
}

const LedgerRouting* findRouting(const Ledger& ledger, const RoutingEntry& entry) {
  for (const auto& e : ledger.routing) {
    if (e.entry == entry) return &e;
  }
  return nullptr;
}

bool recordRouting(Ledger& ledger, const RoutingEntry& entry, AddressRole role) {
  for (auto& e : ledger.routing) {
    if (e.entry != entry) continue;
    if (e.role == role) return false;
    e.role = role;
    return true;
  }
  ledger.routing.push_back({entry, role});
  return true;
}

bool forgetRouting(Ledger& ledger, const RoutingEntry& entry) {
  return std::erase_if(ledger.routing, [&](const LedgerRouting& e) { return e.entry == entry; }) >
         0;
}

bool forgetAddress(Ledger& ledger, const OwnedAddress& address) {
  return std::erase_if(ledger.addresses, [&](const LedgerAddress& e) { return sameAddress(e.address, address); }) > 0;
}

namespace {
template <typename T>
bool insertSorted(std::vector<T>& v, const T& item) {
  auto it = std::lower_bound(v.begin(), v.end(), item);
  if (it != v.end() && *it == item) return false;
  v.insert(it, item);
  return true;
}
template <typename T>
bool eraseSorted(std::vector<T>& v, const T& item) {
  auto it = std::lower_bound(v.begin(), v.end(), item);
  if (it == v.end() || !(*it == item)) return false;
  v.erase(it);
  return true;
}
}  // namespace

bool recordTable(Ledger& ledger, const LedgerTable& table) { return insertSorted(ledger.tables, table); }
bool forgetTable(Ledger& ledger, const LedgerTable& table) { return eraseSorted(ledger.tables, table); }
bool recordRoute(Ledger& ledger, const LedgerRoute& route) { return insertSorted(ledger.routes, route); }
bool forgetRoute(Ledger& ledger, const LedgerRoute& route) { return eraseSorted(ledger.routes, route); }

std::string addressLine(const LedgerAddress& e) {
  std::string line = "address " + e.address.prefix.str() + " dev " + e.address.dev;
  if (!e.address.label.empty()) line += " label " + e.address.label;
  return line + " role " + std::string(roleName(e.role)) + "\n";
}

std::string forgetAddressLine(const OwnedAddress& a) {
  return "forget address " + a.prefix.str() + " dev " + a.dev + "\n";
}

std::string tableLine(const LedgerTable& t) { return "table " + t.family + " " + t.name + "\n"; }

std::string forgetTableLine(const LedgerTable& t) { return "forget " + tableLine(t); }

std::string routeLine(const LedgerRoute& r) {
  std::string line = "route " + r.prefix.str() + " table " + std::to_string(r.table) + " type " + r.type;
  if (!r.dev.empty()) line += " dev " + r.dev;
  return line + "\n";
}

std::string forgetRouteLine(const LedgerRoute& r) { return "forget " + routeLine(r); }

std::string routingLine(const LedgerRouting& e) {
  return "routing " + describe(e.entry) + " role " + std::string(roleName(e.role)) + "\n";
}

std::string forgetRoutingLine(const RoutingEntry& entry) {
  return "forget routing " + describe(entry) + "\n";
}

std::string encodeLedger(const Ledger& ledger) {
  std::string out =
      "# directord: what this node created in this network namespace. Read at start to reclaim\n"
      "# it after a crash; removed on a clean stop. Do not edit.\n";
  out += std::string(kMagic) + " " + std::to_string(kVersion) + "\n";
  out += "boot-id " + (ledger.bootId.empty() ? std::string("-") : ledger.bootId) + "\n";
  out += "netns-cookie " + std::to_string(ledger.netnsCookie) + "\n";
  for (const auto& e : ledger.addresses) out += addressLine(e);
  for (const auto& t : ledger.tables) out += tableLine(t);
  for (const auto& r : ledger.routes) out += routeLine(r);
  for (const auto& r : ledger.routing) out += routingLine(r);
  return out;
}

bool endsTorn(std::string_view text) { return !text.empty() && text.back() != '\n'; }

Result<Ledger> decodeLedger(std::string_view text) {
  Ledger ledger;
  bool versioned = false, cookie = false, boot = false;
  size_t lineNo = 0;
  // A last line without its newline is an append cut short by a kill: a record whose kernel
  // change never started, or a forget whose removal is done. Either way it is safe to drop.
  if (endsTorn(text)) text = text.substr(0, text.rfind('\n') == std::string_view::npos ? 0 : text.rfind('\n') + 1);
  while (!text.empty()) {
    ++lineNo;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    if (line.find('\0') != std::string_view::npos) return lineError(lineNo, "NUL byte");
    auto w = words(line);
    if (w.empty() || w[0].starts_with('#')) continue;
    if (!versioned) {
      if (w[0] != kMagic || w.size() != 2) return lineError(lineNo, "not a directord state file");
      auto version = number<uint32_t>(w[1]);
      if (!version) return lineError(lineNo, "bad version '" + std::string(w[1]) + "'");
      if (*version != kVersion) {
        return lineError(lineNo, "version " + std::to_string(*version) + " (this directord reads version " +
                                     std::to_string(kVersion) + ")");
      }
      versioned = true;
      continue;
    }
    const bool forget = w[0] == "forget";
    if (forget) w.erase(w.begin());
    if (w.empty()) return lineError(lineNo, "forget: what?");
    if (!forget && w[0] == "boot-id") {
      if (w.size() != 2 || !plainName(w[1]) || boot) return lineError(lineNo, "boot-id: expected one id, once");
      ledger.bootId = w[1] == "-" ? "" : std::string(w[1]);
      boot = true;
    } else if (!forget && w[0] == "netns-cookie") {
      auto value = w.size() == 2 ? number<uint64_t>(w[1]) : std::nullopt;
      if (!value || cookie) return lineError(lineNo, "netns-cookie: expected one number, once");
      ledger.netnsCookie = *value;
      cookie = true;
    } else if (w[0] == "address" && forget) {
      auto prefix = w.size() == 4 && w[2] == "dev" && plainName(w[3]) ? IpPrefix::parse(w[1]) : std::nullopt;
      if (!prefix || w[1].find('/') == std::string_view::npos) {
        return lineError(lineNo, "forget address: expected PREFIX dev DEV");
      }
      ha::forgetAddress(ledger, OwnedAddress{*prefix, std::string(w[3]), ""});
    } else if (w[0] == "address") {
      auto a = parseAddress(w, lineNo);
      if (!a) return Error{a.error()};
      ha::recordAddress(ledger, a->address, a->role);
    } else if (w[0] == "table") {
      if (w.size() != 3 || !plainName(w[1]) || !plainName(w[2])) return lineError(lineNo, "table: expected FAMILY NAME");
      LedgerTable t{std::string(w[1]), std::string(w[2])};
      if (forget) {
        ha::forgetTable(ledger, t);
      } else {
        ha::recordTable(ledger, t);
      }
    } else if (w[0] == "route") {
      auto r = parseRoute(w, lineNo);
      if (!r) return Error{r.error()};
      if (forget) {
        ha::forgetRoute(ledger, *r);
      } else {
        ha::recordRoute(ledger, *r);
      }
    } else if (w[0] == "routing") {
      auto parsed = parseRoutingLine(line, forget, lineNo);
      if (!parsed) return Error{parsed.error()};
      if (forget) {
        ha::forgetRouting(ledger, parsed->entry);
      } else {
        ha::recordRouting(ledger, parsed->entry, parsed->role);
      }
    } else {
      return lineError(lineNo, "unknown entry '" + std::string(w[0]) + "'");
    }
  }
  if (!versioned) return Error{"empty: no 'directord-state' line"};
  if (!boot) return Error{"no boot-id line"};
  if (!cookie) return Error{"no netns-cookie line"};
  return ledger;
}

ReclaimPlan planReclaim(const Ledger& inherited, const std::vector<OwnedAddress>& present,
                        const WantedAddresses& wanted) {
  auto in = [](const std::vector<OwnedAddress>& list, const OwnedAddress& a) {
    return std::any_of(list.begin(), list.end(), [&](const OwnedAddress& o) { return sameAddress(o, a); });
  };
  ReclaimPlan plan;
  for (const auto& entry : inherited.addresses) {
    const OwnedAddress& a = entry.address;
    if (!in(present, a)) {
      plan.forget.push_back(entry);
      continue;
    }
    auto wantedStatic = std::find_if(wanted.statics.begin(), wanted.statics.end(),
                                     [&](const OwnedAddress& o) { return sameAddress(o, a); });
    // A label cannot be changed in place: a relabelled address is removed and added anew.
    if (wantedStatic != wanted.statics.end() && wantedStatic->label == a.label) {
      plan.adoptStatic.push_back(*wantedStatic);
    } else if (wantedStatic == wanted.statics.end() && in(wanted.vrrp, a)) {
      plan.handToVrrp.push_back(a);
    } else {
      plan.remove.push_back(entry);
    }
  }
  auto listed = [](const std::vector<RoutingEntry>& list, const RoutingEntry& e) {
    return std::find(list.begin(), list.end(), e) != list.end();
  };
  for (const auto& e : inherited.routing) {
    if (listed(wanted.staticRouting, e.entry)) {
      plan.adoptRouting.push_back(e.entry);
    } else if (listed(wanted.vrrpRouting, e.entry)) {
      plan.routingToVrrp.push_back(e.entry);
    } else {
      plan.removeRouting.push_back(e.entry);
    }
  }
  plan.removeRoutes = inherited.routes;
  plan.tables = inherited.tables;
  return plan;
}

}  // namespace ha
