#pragma once
// Between the director's model and healthcheck/: the HealthConfig the node hands the health thread,
// and the pure fold of health events into the plan's HealthInputs (what changed, which reals died).
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "director/config/config_model.h"
#include "director/conntrack/conntrack_counts.h"
#include "director/nft/ir.h"
#include "director/node/director_view.h"
#include "director/plan/forwarding_plan.h"
#include "healthcheck/control.h"

namespace ha::director {

healthcheck::HealthConfig healthConfigOf(const Config& config);

healthcheck::ServiceKey healthKeyOf(const ServiceKey& key);
ServiceKey serviceKeyOf(const healthcheck::ServiceKey& key);

struct HealthDelta {
  std::set<ServiceKey> services;                          // whose plan may change
  std::vector<std::pair<ServiceKey, Endpoint>> wentDown;  // reals that just failed
  std::vector<std::pair<std::string, bool>> quorum;       // "TCP 192.0.2.1:80" -> up, in order
};

// Pure. Hangs each real's health status on the snapshot's real (by service key and endpoint) and
// copies the totals; reals without checkers keep no status.
void mergeHealth(DirectorSnapshot& snapshot, healthcheck::HealthSnapshot health);

// Pure. The persistence entries (`client . mark : real . port`, nft/names.h kPersist) that send a
// client of one of `owners`' services to that failed real; the keys to delete.
std::vector<nft::Element> persistEntriesOf(const std::vector<nft::Element>& elements,
                                           const std::vector<FlowOwner>& owners);

// Pure. Applies the verdicts in order; a verdict equal to what is known changes nothing.
HealthDelta foldHealthEvents(HealthInputs& inputs, const std::vector<healthcheck::HealthEvent>& events);

}  // namespace ha::director
