#pragma once
// The connection-count schedulers of IPVS: lc, wlc, sed, nq (ip_vs_{lc,wlc,sed,nq}.c) and ovf
// (ip_vs_ovf.c). IPVS picks per connection from its live counters; nftables has no "pick the
// minimum", so the node follows the service's flows in conntrack and keeps a small rotation table
// holding IPVS's next picks (README.md "Connection-count schedulers"). This file is the pure part:
// IPVS's rule for one pick, and the table that places the next `horizon` connections as IPVS would.
#include <cstdint>
#include <optional>
#include <span>

#include "director/sched/scheduler.h"

namespace ha::director {

enum class CountRule : uint8_t {
  kLc,   // least (active << 8) + inactive
  kWlc,  // least ((active << 8) + inactive) / weight
  kSed,  // least (active + 1) / weight
  kNq,   // the first idle real (no active connection), else as sed
  kOvf,  // the highest weight among reals whose active connections do not pass their weight
};

// IPVS's choice for the next connection, as the kernel's loop makes it (list order breaks ties):
// an index into `reals`, or nullopt when none qualifies (IPVS: "no destination available").
std::optional<size_t> ipvsPick(CountRule rule, std::span<const SchedReal> reals);

// Every connection-count service has this many slots, whatever its reals: a steering update then
// edits map elements and never moves the service to another class chain.
inline constexpr uint32_t kCountSlots = 16;
// The longest prediction: past it, more picks only refine proportions 16 slots cannot show.
inline constexpr uint32_t kMaxHorizon = 4096;

// Predicts IPVS's next `horizon` picks (horizon 0, no live counts known: kCountSlots picks from
// the counts given), counting each predicted connection active -- it is, once its handshake ends --
// and spreads kCountSlots slots over the reals in proportion to their picks, interleaved so a
// burst replaying the table alternates as IPVS would. Empty when no real qualifies.
SlotTable steeredTable(CountRule rule, std::span<const SchedReal> reals, uint32_t horizon);

}  // namespace ha::director
