#pragma once
// Deleting a route that directord put in a table of its own, like `ip route del PREFIX table N
// type T`: the start-up reclaim and the shutdown sweep of the ownership ledger use it.
#include <cstdint>
#include <string_view>

#include "common/ip_address.h"
#include "common/result.h"

namespace ha {

// type: unicast | blackhole | unreachable | prohibit. A route that is gone already is success.
Status deleteRoute(const IpPrefix& prefix, uint32_t table, std::string_view type);

}  // namespace ha
