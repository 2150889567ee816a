#pragma once
// The node's eye on its conntrack table: a ConntrackPressure fed by a ConntrackStatsPort, shared by
// the director thread (a sample a second, for the log), the health thread, which asks -- only when
// a probe got nothing back from the real -- whether our own side could send it at all
// (healthcheck::ServicePorts::localTrouble), and the admin API (`directorctl conntrack`). One
// mutex; a read is one netlink round trip, and the health thread and the admin API read again only
// when the last sample is older than kConntrackFreshness, so a burst of failing probes costs one
// read.
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.h"
#include "director/conntrack/conntrack_stats.h"
#include "director/node/conntrack_pressure.h"
#include "director/node/director_view.h"

namespace ha::director {

inline constexpr Duration kConntrackSampleEvery = std::chrono::seconds(1);
inline constexpr Duration kConntrackFreshness = std::chrono::milliseconds(100);

class ConntrackWatch {
 public:
  explicit ConntrackWatch(std::unique_ptr<ConntrackStatsPort> port,
                          ConntrackPressureOptions options = {});

  // Reads the kernel's statistics now; logs when pressure starts and ends, and
  // a read error once.
  void sample(TimePoint now);
  // Why probes without an answer cannot be trusted now, or nullopt (sampling
  // first if stale).
  std::optional<std::string> probeTrouble(TimePoint now);
  // For the admin API; inconclusiveResults is the health thread's and left 0
  // here.
  ConntrackStatus status(TimePoint now);

 private:
  void sampleLocked(TimePoint now);

  std::mutex mutex_;
  std::unique_ptr<ConntrackStatsPort> port_;
  ConntrackPressure pressure_;
  std::string error_;
  bool pressured_ = false;
};

}  // namespace ha::director
