// virtual_routes / virtual_rules: added after the instance's addresses when it becomes MASTER (a
// route may name a VIP as its source), removed before them when it leaves MASTER, as keepalived's
// vrrp_state_become_master / vrrp_restore_interface do. Only what this owner installed is removed:
// a route the kernel already had is someone else's (RoutingOwner).
#include <algorithm>

#include "common/log.h"
#include "vrrp/router.h"

namespace ha::vrrp {
namespace {

std::string prefixed(const InstanceConfig& c, const std::string& what) {
  return "(" + c.name + ") " + what;
}

// Routes first, then rules (a rule pointing at a table is useful once the table has its routes).
std::vector<RoutingEntry> entriesOf(const InstanceConfig& c) {
  std::vector<RoutingEntry> out(c.routes.begin(), c.routes.end());
  out.insert(out.end(), c.rules.begin(), c.rules.end());
  return out;
}

}  // namespace

Status Router::prepareRouting(const InstanceConfig& config) {
  if (config.routes.empty() && config.rules.empty()) return okStatus();
  if (ports_.routing == nullptr)
    return Error{"virtual_routes/virtual_rules: this node installs no routes"};
  for (const auto& r : config.routes) {
    if (r.dev.empty()) continue;
    if (auto dev = ports_.links.link(r.dev); !dev)
      return Error{"virtual_routes " + r.str() + ": " + dev.error()};
  }
  return okStatus();
}

void Router::clearRouting(const InstanceConfig& config) {
  // Ours only (this process's or, through the ledger, a killed predecessor's): a backup holds none.
  const auto entries = entriesOf(config);
  // NOLINTNEXTLINE(modernize-loop-convert): reverse order; clang 14 cannot build views::reverse
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    if (auto st = ports_.routing->remove(*it); !st) log::warning(prefixed(config, st.error()));
  }
}

void Router::takeRouting(const InstanceConfig& config) {
  if (ports_.routing == nullptr) return;
  for (const auto& e : entriesOf(config)) {
    auto added = ports_.routing->add(e);
    if (!added) {
      log::error(prefixed(config, added.error()));
    } else if (*added == RoutingOwner::Added::kFoundPresent) {
      log::warning(prefixed(
          config, describe(e) + " found present, not added by this instance: left as it is, "
                                "and not removed when the instance leaves MASTER"));
    }
  }
}

void Router::releaseRouting(const InstanceConfig& config) {
  if (ports_.routing == nullptr) return;
  const auto entries = entriesOf(config);
  // NOLINTNEXTLINE(modernize-loop-convert): reverse order; clang 14 cannot build views::reverse
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    if (auto st = ports_.routing->remove(*it); !st) log::error(prefixed(config, st.error()));
  }
}

void Router::updateRouting(InstanceConfig& current, bool holding, const InstanceConfig& next) {
  if (current.routes == next.routes && current.rules == next.rules) return;
  const auto before = entriesOf(current);
  const auto after = entriesOf(next);
  auto in = [](const std::vector<RoutingEntry>& list, const RoutingEntry& e) {
    return std::find(list.begin(), list.end(), e) != list.end();
  };
  if (holding && ports_.routing != nullptr) {
    // NOLINTNEXTLINE(modernize-loop-convert): reverse order; clang 14 cannot build views::reverse
    for (auto it = before.rbegin(); it != before.rend(); ++it) {
      if (in(after, *it)) continue;
      if (auto st = ports_.routing->remove(*it); !st) log::error(prefixed(current, st.error()));
    }
  }
  current.routes = next.routes;
  current.rules = next.rules;
  if (holding) takeRouting(current);  // adds the new ones; the others are owned already
  log::info(prefixed(current,
                     "virtual routes/rules changed by the reload: " + std::to_string(after.size()) +
                         " now" + (holding ? " (applied: MASTER)" : "")));
}

}  // namespace ha::vrrp
