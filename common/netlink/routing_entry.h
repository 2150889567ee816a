#pragma once
// A route or a policy rule directord installs (keepalived's static_routes / static_rules and
// virtual_routes / virtual_rules), as a value: what the kernel is told and what identifies it
// again for removal. Its canonical text (str()) is what the logs and the ownership ledger show,
// and parseRoutingEntry() reads that text back, nothing else (the config grammar is
// director/config's).
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "common/ip_address.h"
#include "common/result.h"

namespace ha {

// rtnetlink's numbers (linux/rtnetlink.h), so the adapter passes them through.
inline constexpr uint8_t kProtoKeepalived = 18;  // RTPROT_KEEPALIVED: keepalived's default too
inline constexpr uint32_t kTableMain = 254;      // RT_TABLE_MAIN
inline constexpr uint8_t kScopeUniverse = 0;     // RT_SCOPE_UNIVERSE ("global")
inline constexpr uint8_t kScopeLink = 253;       // RT_SCOPE_LINK

enum class RouteType : uint8_t { kUnicast = 1, kBlackhole = 6, kUnreachable = 7, kProhibit = 8 };
std::string_view routeTypeName(RouteType type);

// How a route is added when the kernel has one with the same key (destination, tos, metric,
// table): keepalived's default prepends (no NLM_F_EXCL), `add` refuses (EEXIST), `append` adds
// after.
enum class RouteAddMode : uint8_t { kPrepend, kAdd, kAppend };

struct RouteSpec {
  RouteType type = RouteType::kUnicast;
  IpPrefix dst;
  std::optional<IpPrefix> from;  // IPv6 source prefix (`from`)
  std::optional<IpAddress> src;  // preferred source address (`src`, RTA_PREFSRC)
  std::optional<IpAddress> via;  // gateway
  std::string dev;
  bool onlink = false;
  uint32_t table = kTableMain;
  std::optional<uint32_t> metric;
  uint8_t protocol = kProtoKeepalived;
  uint8_t scope = kScopeUniverse;
  uint8_t tos = 0;
  RouteAddMode mode = RouteAddMode::kPrepend;
  Family family() const { return dst.address.family(); }
  std::string str() const;
  auto operator<=>(const RouteSpec&) const = default;
};

// FR_ACT_* numbers.
enum class RuleAction : uint8_t { kTable = 1, kBlackhole = 6, kUnreachable = 7, kProhibit = 8 };
std::string_view ruleActionName(RuleAction action);

struct RuleSpec {
  Family family = Family::kV4;
  std::optional<IpPrefix> from;
  std::optional<IpPrefix> to;
  uint32_t priority = 0;  // always set: the config assigns one when it is not written
  RuleAction action = RuleAction::kTable;
  uint32_t table = 0;  // with kTable
  std::optional<uint32_t> fwmark;
  std::optional<uint32_t> fwmask;
  std::string iif;
  std::string oif;
  uint8_t tos = 0;
  uint8_t protocol = kProtoKeepalived;
  std::string str() const;
  auto operator<=>(const RuleSpec&) const = default;
};

using RoutingEntry = std::variant<RouteSpec, RuleSpec>;

// "route 192.0.2.0/24 via 198.51.100.1 dev lan0 table 100 ..." / "rule from ... priority 100 ...":
// every field the kernel knows the entry by, numbers as numbers.
std::string describe(const RoutingEntry& entry);
// Reads describe()'s text back (the ledger); anything else is an error naming the word.
Result<RoutingEntry> parseRoutingEntry(std::string_view text);

}  // namespace ha
