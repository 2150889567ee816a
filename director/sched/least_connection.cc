#include "director/sched/least_connection.h"

#include <algorithm>
#include <string_view>
#include <vector>

#include "director/sched/builtin.h"

namespace ha::director {
namespace {

// ip_vs_dest_conn_overhead(): an active connection weighs 256 inactive ones.
uint64_t connOverhead(const SchedReal& r) {
  return (uint64_t{r.activeConns} << 8) + r.inactiveConns;
}
// ip_vs_sed_dest_overhead() / ip_vs_nq_dest_overhead(): inactive connections are ignored.
uint64_t queueOverhead(const SchedReal& r) { return uint64_t{r.activeConns} + 1; }

// The weighted comparison of wlc, sed and nq: "loh * w(dest) > doh * w(least)" -- the candidate
// wins only when strictly better, so the first of equals in list order stays.
bool weightedBetter(uint64_t candidateOverhead, uint32_t candidateWeight, uint64_t leastOverhead,
                    uint32_t leastWeight) {
  return leastOverhead * candidateWeight > candidateOverhead * leastWeight;
}

std::optional<size_t> pickLeast(std::span<const SchedReal> reals) {
  std::optional<size_t> least;
  uint64_t leastOverhead = 0;
  for (size_t i = 0; i < reals.size(); ++i) {
    if (reals[i].weight == 0) continue;
    uint64_t overhead = connOverhead(reals[i]);
    if (!least || overhead < leastOverhead) {
      least = i;
      leastOverhead = overhead;
    }
  }
  return least;
}

template <typename Overhead>
std::optional<size_t> pickWeighted(std::span<const SchedReal> reals, Overhead overheadOf,
                                   bool idleFirst) {
  std::optional<size_t> least;
  uint64_t leastOverhead = 0;
  for (size_t i = 0; i < reals.size(); ++i) {
    if (reals[i].weight == 0) continue;
    uint64_t overhead = overheadOf(reals[i]);
    if (idleFirst && reals[i].activeConns == 0) return i;  // nq: an idle real never queues
    if (!least || weightedBetter(overhead, reals[i].weight, leastOverhead, reals[*least].weight)) {
      least = i;
      leastOverhead = overhead;
    }
  }
  return least;
}

std::optional<size_t> pickOverflow(std::span<const SchedReal> reals) {
  std::optional<size_t> highest;
  for (size_t i = 0; i < reals.size(); ++i) {
    const SchedReal& r = reals[i];
    if (r.weight == 0 || r.activeConns > r.weight) continue;
    if (!highest || r.weight > reals[*highest].weight) highest = i;
  }
  return highest;
}

// Smooth weighted interleave of the slot counts (each step: the real furthest behind its share
// goes next), so a run of consecutive slots alternates between reals instead of grouping them.
std::vector<uint32_t> interleave(const std::vector<uint32_t>& slotsPerReal) {
  std::vector<int64_t> current(slotsPerReal.size(), 0);
  std::vector<uint32_t> order;
  for (uint32_t n = 0; n < kCountSlots; ++n) {
    size_t best = 0;
    for (size_t i = 0; i < slotsPerReal.size(); ++i) {
      current[i] += slotsPerReal[i];
      if (current[i] > current[best]) best = i;
    }
    current[best] -= kCountSlots;
    order.push_back(static_cast<uint32_t>(best));
  }
  return order;
}

class CountingScheduler final : public Scheduler {
 public:
  CountingScheduler(std::string_view name, CountRule rule) : name_(name), rule_(rule) {}
  std::string_view name() const override { return name_; }
  SlotPick pick() const override { return SlotPick::kRotation; }
  bool countsConnections() const override { return true; }
  SlotTable build(std::span<const SchedReal> reals, const SchedulerParams& params) const override {
    return steeredTable(rule_, reals, params.horizon);
  }

 private:
  std::string_view name_;
  CountRule rule_;
};

}  // namespace

std::optional<size_t> ipvsPick(CountRule rule, std::span<const SchedReal> reals) {
  switch (rule) {
    case CountRule::kLc:
      return pickLeast(reals);
    case CountRule::kWlc:
      return pickWeighted(reals, connOverhead, false);
    case CountRule::kSed:
      return pickWeighted(reals, queueOverhead, false);
    case CountRule::kNq:
      return pickWeighted(reals, queueOverhead, true);
    case CountRule::kOvf:
      return pickOverflow(reals);
  }
  return std::nullopt;
}

SlotTable steeredTable(CountRule rule, std::span<const SchedReal> reals, uint32_t horizon) {
  SlotTable table{.pick = SlotPick::kRotation, .slots = {}};
  uint32_t picks = horizon == 0 ? kCountSlots : std::min(horizon, kMaxHorizon);
  std::vector<SchedReal> predicted(reals.begin(), reals.end());
  std::vector<uint32_t> picked(reals.size(), 0);
  uint32_t total = 0;
  for (uint32_t n = 0; n < picks; ++n) {
    auto next = ipvsPick(rule, predicted);
    if (!next) break;
    ++picked[*next];
    ++predicted[*next].activeConns;
    ++total;
  }
  if (total == 0) return table;
  // Largest remainder: each real's slots are floor(share) or one more; the remainders go in list
  // order among equals, so the table is the same on every node for the same counts.
  std::vector<uint32_t> slots(reals.size(), 0);
  std::vector<uint64_t> remainder(reals.size(), 0);
  uint32_t given = 0;
  for (size_t i = 0; i < reals.size(); ++i) {
    uint64_t scaled = uint64_t{picked[i]} * kCountSlots;
    slots[i] = static_cast<uint32_t>(scaled / total);
    remainder[i] = scaled % total;
    given += slots[i];
  }
  while (given < kCountSlots) {
    size_t best = 0;
    for (size_t i = 1; i < reals.size(); ++i) {
      if (remainder[i] > remainder[best]) best = i;
    }
    ++slots[best];
    remainder[best] = 0;
    ++given;
  }
  table.slots = interleave(slots);
  return table;
}

const Scheduler& lcScheduler() {
  static const CountingScheduler kInstance("lc", CountRule::kLc);
  return kInstance;
}
const Scheduler& wlcScheduler() {
  static const CountingScheduler kInstance("wlc", CountRule::kWlc);
  return kInstance;
}
const Scheduler& sedScheduler() {
  static const CountingScheduler kInstance("sed", CountRule::kSed);
  return kInstance;
}
const Scheduler& nqScheduler() {
  static const CountingScheduler kInstance("nq", CountRule::kNq);
  return kInstance;
}
const Scheduler& ovfScheduler() {
  static const CountingScheduler kInstance("ovf", CountRule::kOvf);
  return kInstance;
}

}  // namespace ha::director
