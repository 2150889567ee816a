#pragma once
// A scheduler turns the live reals of one service into a slot table. The kernel picks a slot for
// the first packet of a flow (numgen for rotation, jhash for flow hashing) and conntrack pins the
// rest; the table is installed as map elements, so a health flip edits elements, not rules.
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "common/ip_address.h"

namespace ha::director {

struct SchedReal {
  IpAddress address;
  uint16_t port = 0;
  uint32_t weight = 1;  // > 0; drained reals are not passed in
};

struct SchedulerParams {
  uint32_t maglevTableSize = 0;  // prime; only mh reads it
};

enum class SlotPick : uint8_t {
  kRotation,  // numgen inc mod N: a fresh counter per service chain (rr, wrr)
  kFlowHash,  // jhash of the flow mod N with the configured seed (sh, mh): same on every director
};

struct SlotTable {
  SlotPick pick = SlotPick::kRotation;
  std::vector<uint32_t> slots;  // slot -> index into the reals passed to build(); size = modulus
};

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  virtual std::string_view name() const = 0;  // the IPVS name
  virtual SlotPick pick() const = 0;
  // Empty `reals` gives an empty table. Deterministic: same input, same table, on every node.
  virtual SlotTable build(std::span<const SchedReal> reals, const SchedulerParams& params) const = 0;
};

// The registry: the only list of scheduler names. nullptr if unknown.
const Scheduler* findScheduler(std::string_view name);
std::vector<std::string_view> schedulerNames();

}  // namespace ha::director
