#include "director/config/known_schedulers.h"

namespace ha::director::config {

bool isKnownScheduler(std::string_view name) {
  return name == "rr" || name == "wrr" || name == "sh" || name == "mh";
}

bool isFlowHashScheduler(std::string_view name) { return name == "sh" || name == "mh"; }

}  // namespace ha::director::config
