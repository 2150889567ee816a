#include "healthcheck/tracker.h"

#include <algorithm>

namespace ha::healthcheck {

ProbeTracker::ProbeTracker(const CheckTiming& timing, bool startUp) : timing_(timing), up_(startUp) {}

uint32_t ProbeTracker::fall() const {
  // retry counts attempts beyond the first; saturate rather than wrap for absurd configs.
  return timing_.retry == UINT32_MAX ? UINT32_MAX : timing_.retry + 1;
}

uint32_t ProbeTracker::rise() const { return std::max(timing_.rise, 1U); }

TrackerOutcome ProbeTracker::record(bool passed, TimePoint now) {
  TrackerOutcome out;
  if (up_) {
    if (passed) {
      failures_ = 0;
    } else if (++failures_ >= fall()) {
      up_ = false;
      failures_ = 0;
      passes_ = 0;
      out.changed = true;
    } else {
      out.next = NextProbe::kAfterDelayBeforeRetry;
    }
  } else {
    if (!passed) {
      passes_ = 0;
    } else if (++passes_ >= rise()) {
      up_ = true;
      failures_ = 0;
      passes_ = 0;
      out.changed = true;
    } else {
      out.next = NextProbe::kAfterDelayBeforeRetry;
    }
  }
  out.due = now + (out.next == NextProbe::kAfterDelayLoop ? Duration(timing_.delayLoop)
                                                          : Duration(timing_.delayBeforeRetry));
  return out;
}

Duration firstProbeDelay(const CheckTiming& timing, uint64_t random) {
  // Nanosecond resolution: N probes of one period practically never share a start instant.
  if (timing.warmup > Millis::zero()) {
    const auto span = static_cast<uint64_t>(Duration(timing.warmup).count()) + 1;  // inclusive
    return Duration(static_cast<Duration::rep>(random % span));
  }
  const auto span = static_cast<uint64_t>(Duration(timing.delayLoop).count());
  if (span == 0) return Duration::zero();
  return Duration(static_cast<Duration::rep>(random % span));
}

Duration withJitter(Duration delay, uint32_t permille, uint64_t random) {
  if (delay <= Duration::zero() || permille == 0) return delay;
  const auto spread = static_cast<uint64_t>(delay.count()) / 1000 * std::min(permille, 1000U);
  if (spread == 0) return delay;
  const auto offset = static_cast<int64_t>(random % (2 * spread + 1)) - static_cast<int64_t>(spread);
  return delay + Duration(offset);
}

uint64_t JitterSource::next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace ha::healthcheck
