#pragma once
// Helpers shared by the scheduler tests.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/ip_address.h"
#include "director/sched/scheduler.h"

namespace ha::director::testing {

// Reals 10.0.0.1, 10.0.0.2, ... on port 80 with the given weights.
inline std::vector<SchedReal> makeReals(const std::vector<uint32_t>& weights) {
  std::vector<SchedReal> reals;
  for (size_t i = 0; i < weights.size(); ++i) {
    reals.push_back(SchedReal{.address = IpAddress::v4(0x0a000001u + static_cast<uint32_t>(i)),
                              .port = 80,
                              .weight = weights[i]});
  }
  return reals;
}

// Slots per real index.
inline std::map<uint32_t, size_t> countSlots(const SlotTable& table) {
  std::map<uint32_t, size_t> counts;
  for (uint32_t s : table.slots) ++counts[s];
  return counts;
}

// The table as letters, real 0 = 'a': "aabab...".
inline std::string letters(const SlotTable& table) {
  std::string out;
  for (uint32_t s : table.slots) out.push_back(static_cast<char>('a' + s));
  return out;
}

}  // namespace ha::director::testing
