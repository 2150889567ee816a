#pragma once
// ipvsadm --rate: per-second rates estimated as IPVS does (net/netfilter/ipvs/ip_vs_est.c): every
// 2 s the counters' increase over the interval is one sample, and the estimate moves a quarter of
// the way to it (avg += (sample - avg) / 4). A burst shows up within seconds and fades over ~10 s,
// and two reads a moment apart agree. Pure: the node feeds it totals on a 2 s timer.
#include <chrono>
#include <optional>

#include "common/clock.h"
#include "director/node/director_view.h"

namespace ha::director {

inline constexpr Duration kRateSampleEvery = std::chrono::seconds(2);
// The estimator samples while rates are asked for (directorctl --rate), until this long after the
// last ask: each sample dumps every flow of ours from conntrack, O(flows), where IPVS's estimator
// reads per-real counters in the kernel. A run stretches its interval so that sampling takes at
// most 1/kRateSampleCostShare of the director thread (a 40k-flow table cost ~16% of a core at 2 s).
inline constexpr Duration kRatesAskedFor = std::chrono::minutes(10);
inline constexpr int kRateSampleCostShare = 25;
// What a caller that started an idle estimator waits beyond kRateSampleEvery for its next sample.
inline constexpr Duration kRateSampleGrace = std::chrono::milliseconds(300);

class RateEstimate {
 public:
  // The counters at `now`. The first sample only sets the starting point. The interval is the
  // time since the previous sample (IPVS assumes exactly 2 s; a late timer must not inflate the
  // rate). A counter that went down (flows whose end was lost) counts as no increase.
  void sample(const TrafficCounters& totals, TimePoint now);
  // ipvsadm -Z: the rates restart from zero and `totals` is the new starting point.
  void restart(const TrafficCounters& totals, TimePoint now);
  const TrafficRates& rates() const { return rates_; }

 private:
  std::optional<TrafficCounters> last_;
  TimePoint lastAt_{};
  TrafficRates rates_;
};

}  // namespace ha::director
