// static_routes / static_rules on the director thread: each (re)load installs what the config
// lists and removes what it no longer lists, only the difference; what the kernel already had is
// someone else's, said once per (re)load and never removed. Nothing watches them afterwards (the
// drift repair covers our nf_tables tables only, as it does not re-add static_ipaddress either).
#include <algorithm>

#include "common/log.h"
#include "director/node/node.h"
#include "director/node/reclaim.h"

namespace ha::director {

void Node::syncRouting(const Config& config) {
  const std::vector<RoutingEntry> wanted = staticRouting(config);
  if (!ports_.routing) {
    if (!wanted.empty())
      log::error("static_routes/static_rules not applied: this node installs no routes");
    return;
  }
  // Rules before routes on the way out, newest first: the reverse of the way in.
  const auto owned = ports_.routing->owned();
  // NOLINTNEXTLINE(modernize-loop-convert): reverse order; clang 14 cannot build views::reverse
  for (auto it = owned.rbegin(); it != owned.rend(); ++it) {
    if (std::find(wanted.begin(), wanted.end(), *it) != wanted.end()) continue;
    if (auto st = ports_.routing->remove(*it); !st) {
      log::error(st.error());
    } else {
      log::info("removed " + describe(*it) + ": no longer in the config");
    }
  }
  for (const auto& e : wanted) {
    const bool had = ports_.routing->owns(e);
    auto added = ports_.routing->add(e);
    if (!added) {
      log::error(added.error());
    } else if (*added == RoutingOwner::Added::kFoundPresent) {
      log::warning(
          "static " + describe(e) +
          " found present, not added by directord: left as it is, and not removed at stop");
    } else if (!had) {
      log::info("added static " + describe(e));
    }
  }
}

void Node::removeRouting() {
  if (!ports_.routing) return;
  const auto owned = ports_.routing->owned();
  // NOLINTNEXTLINE(modernize-loop-convert): reverse order; clang 14 cannot build views::reverse
  for (auto it = owned.rbegin(); it != owned.rend(); ++it) {
    if (auto st = ports_.routing->remove(*it); !st) log::error(st.error());
  }
}

}  // namespace ha::director
