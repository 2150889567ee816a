#pragma once
// The health-check core: which probes run and when, what their results mean for reals and
// virtual servers, and what changes to report. No sockets, timers, threads or clocks (docs/style.md
// §1): the caller passes `now`, starts the probes takeDue() hands out, and feeds their results to
// onResult(); service.h is that caller in production, the unit tests are the other.
//
//   HealthConfig ──apply()──► probes, deduplicated by (ProbeSpec, CheckTiming)
//                               │  one ProbeTracker each (tracker.h), one deadline each
//                               ▼
//   takeDue(now) ─► ProbeStart{ticket, spec} ─► a Checker ─► onResult(ticket, result, now)
//                                                               │ probe up/down or misc weight
//                                                               ▼ changed
//                               reals using the probe (all checkers up => up) ─► quorum per VS
//                                                               ▼
//                                             EngineStep{events, scripts}
//
// Cost: takeDue() and onResult() are O(log probes) plus the reals sharing the probe; the pass
// path of a settled probe allocates nothing and builds no string. Deadlines live in one ordered
// set whose nodes are re-keyed in place (extract/insert), so the set never grows past one entry
// per probe and rescheduling does not allocate.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/latency_histogram.h"
#include "healthcheck/control.h"
#include "healthcheck/tracker.h"

namespace ha::healthcheck {

// ±5%: probes that happened to start together are apart within a few periods, while detection
// time stays what the operator configured.
inline constexpr uint32_t kDefaultLoopJitterPermille = 50;
// A checker must answer within its spec's limit plus slack (checker.h). If it does not, the
// probe is failed by the engine (a real must not stay "up" on a check that stopped running) and
// a late answer is dropped: limit * 2 + kCheckerSlack.
inline constexpr Duration kCheckerSlack = std::chrono::seconds(5);

struct EngineOptions {
  uint64_t seed = 0;  // jitter: same seed, same schedule
  uint32_t loopJitterPermille = kDefaultLoopJitterPermille;
};

// Identifies one run of one probe; results carrying an older ticket are stale and ignored.
using ProbeTicket = uint64_t;

struct ProbeStart {
  ProbeTicket ticket = 0;
  // Owned by the engine; stays valid until the result for this ticket comes back (even if a
  // reload removes the probe meanwhile) or the run is given up as overdue.
  const ProbeSpec* spec = nullptr;
};

// notify_up / notify_down / quorum_up / quorum_down to run. keepalived execs them with their
// configured words only (notify.c notify_exec).
struct ScriptRequest {
  std::string owner;    // RealKey::str() or ServiceKey::str(): runs of one owner keep order
  std::string keyword;  // "notify_up", ... (for the log)
  std::string command;
  bool operator==(const ScriptRequest&) const = default;
};

// What one engine step changed, in order: real verdicts first, then the quorums they moved.
struct EngineStep {
  std::vector<HealthEvent> events;
  std::vector<ScriptRequest> scripts;
};

struct ApplyOutcome {
  std::vector<HealthEvent> verdicts;   // every real, then every virtual server (config order)
  std::vector<ScriptRequest> scripts;  // transitions of reals/servers that existed before
};

// Quorum with hysteresis as keepalived's update_quorum_state() (ipwrapper.c): an up virtual
// server goes down when its live weight drops below quorum - hysteresis (or to 0); a down one
// comes up at quorum + hysteresis. quorum 0 is taken as 1 (keepalived's minimum).
bool quorumAfter(bool up, uint64_t liveWeight, uint32_t quorum, uint32_t hysteresis);

class Engine {
 public:
  explicit Engine(EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Start, or reload (keepalived's checker migrate): probes are matched by (spec, timing) and
  // keep state, counters and schedule; reals (by RealKey) and virtual servers (by ServiceKey)
  // keep their verdicts and report a transition only if their inputs now say otherwise. New
  // probes start up, or down when a virtual server using them has `alpha`; a probe already
  // running keeps its state whoever joins it. Removed probes stop; their in-flight results are
  // ignored. Duplicated keys are logged and the later one skipped.
  ApplyOutcome apply(const HealthConfig& config, TimePoint now);

  // Appends to `starts` every probe due by `now + earlyBy` (the caller's wake-up granularity).
  // Each goes in flight: it is not due again before its result comes back. Probes whose checker
  // overran the watchdog are failed here, hence the step.
  EngineStep takeDue(TimePoint now, Duration earlyBy, std::vector<ProbeStart>& starts);
  // With `inconclusive` (why our own side could not probe, e.g. a full conntrack table) a failed
  // result proves nothing about the real: it is counted and shown, the tracker does not move, and
  // the probe runs again after delay_loop. Only failures failureCouldBeLocal() names qualify; a
  // pass, or another failure, counts as usual whatever `inconclusive` says.
  EngineStep onResult(ProbeTicket ticket, ProbeResult result, TimePoint now,
                      std::optional<std::string> inconclusive = std::nullopt);

  // A tracked file (FILE_CHECK's track_file) now reads `value` (file_check.h; a missing file is 0).
  // Reals watching it are settled at once; a value for a path no real watches is kept for the
  // next apply(), so the service can read every file before applying the config that names it.
  EngineStep onFileValue(const std::string& path, int64_t value, TimePoint now);

  // The earliest probe start or watchdog; nullopt when nothing is configured.
  std::optional<TimePoint> nextDeadline() const;

  // `wallNow` turns the steady times the engine keeps into the wall-clock times operators read.
  HealthSnapshot snapshot(TimePoint now, std::chrono::system_clock::time_point wallNow) const;

 private:
  struct Probe;
  struct Real;
  struct VirtualServer;
  struct Slot;
  struct IdentityLess {
    bool operator()(const std::pair<const ProbeSpec*, const CheckTiming*>& a,
                    const std::pair<const ProbeSpec*, const CheckTiming*>& b) const;
  };
  using Deadlines = std::set<std::pair<TimePoint, uint32_t>>;  // (when, slot)

  uint32_t findOrCreateProbe(const CheckerConfig& checker, bool alpha, TimePoint now,
                             std::vector<bool>& createdNow);
  void releaseProbe(uint32_t slot);
  void freeSlot(uint32_t slot);
  void reschedule(Probe& probe, uint32_t slot, TimePoint at);
  void finishRun(uint32_t slot, ProbeResult result, TimePoint now, EngineStep& step);
  void countRun(Probe& probe, const ProbeResult& result, TimePoint now);
  void finishInconclusive(uint32_t slot, ProbeResult result, std::string why, TimePoint now);
  void settleReal(uint32_t realIndex, TimePoint now, EngineStep& step);
  void settleQuorums(EngineStep& step);
  bool realUp(const Real& real) const;
  std::optional<uint32_t> realDynamicWeight(const Real& real) const;
  std::string downReason(const Real& real) const;
  int64_t fileValue(const std::string& path) const;
  RealVerdict verdictOf(const Real& real) const;

  EngineOptions options_;
  JitterSource random_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> freeSlots_;
  Deadlines deadlines_;
  std::map<std::pair<const ProbeSpec*, const CheckTiming*>, uint32_t, IdentityLess> index_;
  std::vector<Real> reals_;
  std::vector<VirtualServer> servers_;
  std::vector<uint32_t> dirtyServers_;  // touched in the current step, settled at its end
  uint64_t probesRun_ = 0;
  uint64_t inFlight_ = 0;
  uint64_t staleResults_ = 0;
  uint64_t overdueProbes_ = 0;
  uint64_t inconclusive_ = 0;
  std::map<CheckKind, LatencyHistogram> latencyByKind_;
  std::map<std::string, int64_t> fileValues_;  // FILE_CHECK paths -> their latest value  // every
                                               // answered run, conclusive or not
};

}  // namespace ha::healthcheck
