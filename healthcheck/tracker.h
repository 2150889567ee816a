#pragma once
// One probe's verdict over time: keepalived's retry / delay_before_retry (check_api.c and each
// checker's own retry loop in 2.2.7), plus our `rise`, as one pure state machine. It never reads a
// clock or owns a timer (docs/style.md §1): the engine feeds it results with the time they arrived
// and schedules the next probe at the time it returns.
//
//   UP   --fail--> retry after delay_before_retry ... the (retry+1)-th fail in a row --> DOWN
//   UP   --pass--> next after delay_loop (a pass forgets earlier failures)
//   DOWN --fail--> next after delay_loop (keepalived does not retry a dead real)
//   DOWN --pass--> `rise` passes in a row --> UP; while rising, confirm after delay_before_retry
//
// rise = 1 is keepalived's behaviour (one pass brings a real back); rise > 1 is ours, to stop a
// flapping server from being readmitted on a single lucky answer.
#include <cstdint>

#include "common/clock.h"
#include "healthcheck/health_config.h"

namespace ha::healthcheck {

// Which configured interval the next probe waits; only delay_loop gets jitter (engine.h), so the
// retry sequence keeps its exact, documented timing: detection time = delay_before_retry * retry.
enum class NextProbe : uint8_t { kAfterDelayLoop, kAfterDelayBeforeRetry };

struct TrackerOutcome {
  bool changed = false;  // up() flipped with this result
  NextProbe next = NextProbe::kAfterDelayLoop;
  TimePoint due;  // `now` + the interval `next` names
};

class ProbeTracker {
 public:
  // startUp = false for `alpha`: down until `rise` passes prove it up.
  ProbeTracker(const CheckTiming& timing, bool startUp);

  TrackerOutcome record(bool passed, TimePoint now);

  bool up() const { return up_; }
  uint32_t failuresInARow() const { return failures_; }  // while up; 0 when down
  uint32_t passesInARow() const { return passes_; }      // while down; 0 when up
  // retry + 1 and max(rise, 1): the consecutive results that flip the state.
  uint32_t fall() const;
  uint32_t rise() const;
  const CheckTiming& timing() const { return timing_; }

 private:
  CheckTiming timing_;
  bool up_;
  uint32_t failures_ = 0;
  uint32_t passes_ = 0;
};

// Scheduling policy, pure so tests can pin it with chosen random numbers.
//  - The first probe starts at a random point of [0, warmup] when warmup is set (keepalived's
//    warmup), else of [0, delay_loop): a reload that adds 10k probes spreads them over one period
//    instead of firing them together.
//  - Later delay_loop waits are stretched or shrunk by up to `permille`/1000, so probes that
//    started together drift apart rather than bursting in step for ever.
Duration firstProbeDelay(const CheckTiming& timing, uint64_t random);
Duration withJitter(Duration delay, uint32_t permille, uint64_t random);

// SplitMix64 (Steele et al., OOPSLA'14): tiny, fast, good enough for jitter, and deterministic
// from its seed so tests and the engine can agree on every schedule.
class JitterSource {
 public:
  explicit JitterSource(uint64_t seed) : state_(seed) {}
  uint64_t next();

 private:
  uint64_t state_;
};

}  // namespace ha::healthcheck
