// `directorctl -Lc`: our flows, dumped from conntrack on the director thread (where the ActiveConn
// counts are dumped too), bounded at kMaxConnectionRows.
#include <map>

#include "common/post_and_wait.h"
#include "director/node/connection_table.h"
#include "director/node/node.h"

namespace ha::director {

Result<ConnectionTable> Node::connections(const std::optional<ServiceKey>& asked) {
  return postAndWait(io_, "director", Clock::now() + kAdminAnswerDeadline,
                     [this, asked]() -> Result<ConnectionTable> {
                       std::optional<ServiceKey> service;
                       if (asked) service = resolveServiceKey(plan_, *asked);
                       std::map<uint32_t, ServiceKey> keys;
                       bool known = !service.has_value();
                       for (const auto& [id, plan] : plan_.services) {
                         keys.emplace(id, plan.key);
                         if (service && plan.key == *service) known = true;
                       }
                       if (!known) {
                         ConnectionTable none;
                         none.serviceKnown = false;
                         return none;
                       }
                       auto flows = ports_.conntrack->flows();
                       if (!flows) return Error{"conntrack: " + flows.error()};
                       return connectionTable(flows.value(), keys, service, kMaxConnectionRows);
                     });
}

}  // namespace ha::director
