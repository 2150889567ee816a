#pragma once
// One line of static_routes / virtual_routes (`ip route add` syntax, as keepalived 2.2.7's
// vrrp_iproute.c alloc_route reads it) and of static_rules / virtual_rules (`ip rule add`,
// vrrp_iprule.c alloc_rule) -> the RouteSpec / RuleSpec directord installs. The common subset is
// read fully; every other option is an error at the line that names it and says why.
#include <cstdint>
#include <optional>
#include <string_view>

#include "common/netlink/routing_entry.h"
#include "director/config/config_tree.h"
#include "director/config/diagnostic_sink.h"
#include "director/config/iproute2_names.h"

namespace ha::director::config {

// keepalived gives a rule written without a preference one of its own, counting down from 16384
// per family in the order the rules are read, so master/backup changes add them in a stable
// order (vrrp_iprule.c RULE_START_PRIORITY); one counter for the whole config.
struct RulePriorities {
  static constexpr uint32_t kStart = 16384;
  uint32_t nextV4 = kStart;
  uint32_t nextV6 = kStart;
};

struct RouteLine {
  RouteSpec spec;
  bool noTrack = false;  // `no_track` written
};
struct RuleLine {
  RuleSpec spec;
  bool noTrack = false;
};

// `entry.keyword` and `entry.args` are the line's words; `block` names it in messages
// ("static_routes"). nullopt after an error (reported).
std::optional<RouteLine> parseRouteLine(const Node& entry, std::string_view block,
                                        const Iproute2Names& names, DiagnosticSink& sink);
std::optional<RuleLine> parseRuleLine(const Node& entry, std::string_view block,
                                      const Iproute2Names& names, RulePriorities& priorities,
                                      DiagnosticSink& sink);

}  // namespace ha::director::config
