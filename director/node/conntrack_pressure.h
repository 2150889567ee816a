#pragma once
// Whether this namespace's conntrack table is under pressure: nearly full, or
// dropping packets for want of an entry. Under pressure the kernel drops the
// SYN of our own health probes on output without telling connect() (the probe
// just times out), so a probe that got no answer says nothing about the real;
// taking reals down on it deletes the very flows the full table still carries
// (tests/netns/test_conntrack_full.sh: every real down, 493 established flows
// deleted). Pure: fed samples with the time they were taken.
#include <cstdint>
#include <optional>
#include <string>

#include "common/clock.h"
#include "director/conntrack/conntrack_stats.h"

namespace ha::director {

struct ConntrackPressureOptions {
  // Full from this share of the max on: the kernel refuses the last entries
  // only once nothing can be evicted, but at 99% a burst of new flows fills the
  // rest between two samples.
  uint32_t fullPermille = 990;
  // How long a drop keeps the table "under pressure": longer than a probe's
  // failure takes to become a verdict (retries included), so a probe whose SYN
  // was dropped at t is still judged at t + connect_timeout x (retry + 1) + the
  // retries' delays.
  Duration dropMemory = std::chrono::seconds(10);
};

class ConntrackPressure {
 public:
  explicit ConntrackPressure(ConntrackPressureOptions options = {}) : options_(options) {}

  // A new sample. The first one is the baseline of the drop counter and of
  // `sinceStart()`.
  void record(const ConntrackStats &stats, TimePoint now);

  // Why probes without an answer cannot be trusted now ("conntrack table full:
  // 262144 of 262144 entries", "conntrack dropped 694 packets for want of an
  // entry 3.2 s ago"), or nullopt. Nothing before the first sample.
  std::optional<std::string> reason(TimePoint now) const;

  const std::optional<ConntrackStats> &last() const { return last_; }
  std::optional<TimePoint> lastSampleAt() const { return lastAt_; }
  // The counters since the first sample (directord's start), field by field;
  // nullopt before it.
  std::optional<ConntrackStats> sinceStart() const;
  std::optional<TimePoint> lastDropAt() const { return lastDropAt_; }
  // Times the table went from no pressure to pressure, as samples saw it.
  uint64_t episodes() const { return episodes_; }

 private:
  bool full(const ConntrackStats &s) const;

  ConntrackPressureOptions options_;
  std::optional<ConntrackStats> first_;
  std::optional<ConntrackStats> last_;
  std::optional<TimePoint> lastAt_;
  std::optional<TimePoint> lastDropAt_;
  bool pressured_ = false;
  uint64_t episodes_ = 0;
};

}  // namespace ha::director
