#pragma once
// `directord-real status`: TUN in this network namespace (state, whether the decapsulator still
// runs on its device, counters) and every TOA attachment (cgroup, counters).
#include <string>

#include "common/result.h"

namespace ha::real {

Result<std::string> statusReport();

}  // namespace ha::real
