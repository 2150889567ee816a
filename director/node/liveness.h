#pragma once
// The watchdog's judgement (systemd WatchdogSec=): each io_context thread runs a heartbeat posted
// to it, which stamps the time it ran; the process may tell systemd "WATCHDOG=1" only while every
// stamp is fresh. A loop stuck in one handler (a hung syscall, a deadlock, an endless loop) stops
// stamping, the feeding stops, and systemd restarts the process. Pure: stamps and now in.
#include <string>
#include <vector>

#include "common/clock.h"

namespace ha::director {

struct LoopStamp {
  std::string name;   // "director", "vrrp", "health", "sync"
  TimePoint lastRun;  // when its last heartbeat ran on it (start time before the first)
};

struct StaleLoop {
  std::string name;
  Duration silentFor{};
  bool operator==(const StaleLoop&) const = default;
};

struct Liveness {
  bool feed = false;             // every loop stamped within maxAge
  std::vector<StaleLoop> stale;  // the others, in the order given
};

// maxAge: how old a stamp may be. Heartbeats are posted every WATCHDOG_USEC/4 and judged against
// WATCHDOG_USEC/2, so a live loop that is merely busy for less than a quarter period still feeds,
// and a stuck one is noticed with half the period left to log why before systemd acts.
Liveness assessLiveness(const std::vector<LoopStamp>& stamps, TimePoint now, Duration maxAge);

// The line logged when the set of stale loops changes: "watchdog: the health thread has not run
// for 1500 ms; systemd's watchdog is no longer fed" / "watchdog: every thread runs again".
// Empty when nothing changed (a stuck loop is logged once, not every tick).
std::string livenessChangeLine(const std::vector<StaleLoop>& before,
                               const std::vector<StaleLoop>& now);

}  // namespace ha::director
