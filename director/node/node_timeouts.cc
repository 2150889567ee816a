// directorctl --set TCP TCPFIN UDP (ipvsadm --set): the global lvs_timeouts at run time. Only
// the timeouts move, so every service keeps its slots; the services whose resolved timeouts
// change go to the class chains of the new values: services-map elements, new chains with their
// ct timeout objects, the old ones deleted, as one transaction. A reload discards the override.
#include <string>

#include "common/log.h"
#include "director/nft/patch.h"
#include "director/nft/render.h"
#include "director/node/node.h"

namespace ha::director {
namespace {

// keepalived's LVS_MAX_TIMEOUT (31 days), as lvs_timeouts in the config.
constexpr uint32_t kMaxTimeoutSec = 86400u * 31;

}  // namespace

EditAnswer Node::setTimeoutsNow(const LvsTimeouts& wanted) {
  auto refuse = [](EditRefusal::Kind kind, std::string why) {
    log::warning("runtime edit refused, nothing changed: " + why);
    return EditAnswer{EditRefusal{kind, std::move(why)}, {}};
  };
  for (const auto& [name, value] :
       {std::pair{"tcp", wanted.tcpSec}, std::pair{"tcpfin", wanted.tcpFinSec},
        std::pair{"udp", wanted.udpSec}}) {
    if (value.value_or(0) > kMaxTimeoutSec) {
      return refuse(EditRefusal::Kind::kInvalid,
                    std::string("--set: ") + name + " timeout " + std::to_string(*value) +
                        " s is more than 31 days (" + std::to_string(kMaxTimeoutSec) + " s)");
    }
  }
  LvsTimeouts next = config_.globals.lvsTimeouts;
  // ipvsadm: 0 leaves a value unchanged.
  if (wanted.tcpSec.value_or(0) != 0) next.tcpSec = wanted.tcpSec;
  if (wanted.tcpFinSec.value_or(0) != 0) next.tcpFinSec = wanted.tcpFinSec;
  if (wanted.udpSec.value_or(0) != 0) next.udpSec = wanted.udpSec;
  const ConnTimeouts was = resolveTimeouts(config_.globals.lvsTimeouts, {});
  const ConnTimeouts now = resolveTimeouts(next, {});

  ForwardingPlan after = plan_;
  for (const auto& vs : config_.virtualServers) {
    auto id = serviceIds_.find(serviceKeyOf(vs));
    if (id == serviceIds_.end()) continue;
    if (auto sp = after.services.find(id->second); sp != after.services.end()) {
      sp->second.timeouts = resolveTimeouts(next, vs.lvsTimeouts);
    }
  }
  auto changed = nft::changedServices(plan_, after);
  if (!changed.empty()) {
    auto tx = nft::patchServices(installed_, plan_, after, changed);
    if (auto st = ports_.nft->commit(tx); !st) {
      installed_ = nft::render(plan_);  // the kernel still holds the old state
      return refuse(EditRefusal::Kind::kKernel,
                    "the kernel refused the nf_tables transaction: " + st.error());
    }
  }
  plan_ = std::move(after);
  config_.globals.lvsTimeouts = next;
  timeoutsOverride_ = next;
  std::string line = "lvs_timeouts " + timeoutsText(now) + " (was " + timeoutsText(was) +
                     "): " + std::to_string(changed.size()) + " services re-pointed";
  log::info("runtime edit: " + line);
  return EditAnswer{std::nullopt, {line}};
}

}  // namespace ha::director
