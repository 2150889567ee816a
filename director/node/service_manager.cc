#include "director/node/service_manager.h"

namespace ha::director {

std::string statusLine(size_t services, const Result<vrrp::RouterSnapshot>& vrrp) {
  std::string line =
      "running: " + std::to_string(services) + " virtual service" + (services == 1 ? "" : "s");
  if (!vrrp) return line + "; VRRP not answering: " + vrrp.error();
  if (vrrp->instances.empty()) return line;
  line += "; VRRP ";
  for (size_t i = 0; i < vrrp->instances.size(); ++i) {
    const auto& instance = vrrp->instances[i];
    line += (i == 0 ? "" : ", ") + std::string(vrrp::stateName(instance.state)) + " on " +
            instance.name;
  }
  return line;
}

}  // namespace ha::director
