#pragma once
// When to put our nf_tables tables back after someone else changed them, and what to tell the
// operator about it (pure: (event, now) -> when). A burst of foreign transactions costs one
// repair; a repair the kernel refuses is retried with a backoff, never given up on.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/result.h"

namespace ha::director {

struct DriftCounters {
  uint64_t drifts = 0;  // foreign transactions on our tables, and lost notifications
  uint64_t repairs = 0;
  uint64_t repairFailures = 0;
  std::string lastDrift;
  std::optional<TimePoint> lastDriftAt;
  // From the first drift of a burst to the tables back, as measured by the node's clock.
  std::optional<double> lastRepairMs;
  std::string lastRepairError;  // "" once a repair succeeded
  bool repairPending = false;
};

class DriftTracker {
 public:
  // Short enough to stay far inside the 1 s promise, long enough that one `nft -f` script of
  // several transactions costs one repair.
  static constexpr std::chrono::milliseconds kSettle{10};
  static constexpr std::chrono::milliseconds kFirstRetry{100};
  static constexpr std::chrono::milliseconds kMaxRetry{2000};

  // A foreign change was seen: the repair is due at the returned time (a repair already due keeps
  // its time, so a stream of drifts cannot postpone it forever).
  TimePoint onDrift(std::string what, TimePoint now);
  // The repair ran. On failure, the retry's due time.
  std::optional<TimePoint> onRepair(const Status& result, TimePoint now);
  const DriftCounters& counters() const { return counters_; }

 private:
  DriftCounters counters_;
  std::optional<TimePoint> due_;
  std::optional<TimePoint> burstStarted_;
  std::chrono::milliseconds retry_ = kFirstRetry;
};

}  // namespace ha::director
