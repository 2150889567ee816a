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
  // Live connections to this real (IPVS's activeconns / inactconns), read only by the
  // connection-count schedulers (lc wlc sed nq ovf); 0 when no live counts are known.
  uint32_t activeConns = 0;
  uint32_t inactiveConns = 0;
};

struct SchedulerParams {
  uint32_t maglevTableSize = 0;  // prime; only mh reads it
  // Connection-count schedulers: how many new connections the table should place before the node
  // rebuilds it from fresh counts (least_connection.h). 0: no live counts are known, so the table
  // spreads by weight alone.
  uint32_t horizon = 0;
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
  virtual SlotTable build(std::span<const SchedReal> reals,
                          const SchedulerParams& params) const = 0;
  // True when build() reads the live connection counts: the node then follows the service's
  // flows in conntrack and rebuilds its table as they open and close.
  virtual bool countsConnections() const { return false; }
};

// The registry: the only list of scheduler names. nullptr if unknown.
const Scheduler* findScheduler(std::string_view name);
std::vector<std::string_view> schedulerNames();

}  // namespace ha::director
