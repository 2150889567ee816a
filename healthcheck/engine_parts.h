#pragma once
// engine.h's private state, shared by engine.cc (behaviour) and engine_snapshot.cc (what
// operators see). Not for use outside the engine.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "healthcheck/engine.h"

namespace ha::healthcheck {

inline constexpr size_t kReasonCount = static_cast<size_t>(FailureReason::kCount);

// "198.51.100.11:80", the address of a PING_CHECK, or the command of a MISC_CHECK.
inline std::string endpointOf(const ProbeSpec& spec) {
  if (spec.kind == CheckKind::kMisc) return spec.miscPath;
  if (spec.kind == CheckKind::kPing) return spec.address.str();
  return formatEndpoint(spec.address, spec.port);
}

// One distinct probe: the spec it runs, its tracker, its single deadline and its counters.
struct Engine::Probe {
  enum class Phase : uint8_t {
    kIdle,      // waiting for its deadline to start
    kInFlight,  // started; its deadline is now the watchdog
    kRetiring,  // removed by a reload while in flight: kept (spec alive) until its result lands
  };
  Probe(const CheckerConfig& checker, bool startUp)
      : spec(checker.probe), tracker(checker.timing, startUp) {}

  ProbeSpec spec;
  ProbeTracker tracker;
  Phase phase = Phase::kIdle;
  Deadlines::iterator deadline;  // this probe's only entry in deadlines_
  TimePoint startedAt;
  std::vector<uint32_t> users;  // indexes into reals_, rebuilt by apply()
  std::optional<uint32_t> dynamicWeight;  // misc_dynamic, from the latest pass
  bool overdueLogged = false;
  bool inconclusiveLogged = false;  // once per probe, until it has a conclusive result again

  uint64_t probes = 0;
  uint64_t failures = 0;
  std::array<uint64_t, kReasonCount> failuresByReason{};
  uint64_t inconclusive = 0;
  Duration lastLatency{};
  Duration totalLatency{};
  Duration maxLatency{};
  std::optional<bool> lastOk;
  std::optional<TimePoint> lastAt;
  std::string lastDetail;  // "" after a pass (CheckerStatus)
  std::string failDetail;  // the latest failure's, kept through rising for the down reason
};

// `runs` outlives the probe in the slot so a reused slot never accepts an old ticket.
struct Engine::Slot {
  std::unique_ptr<Probe> probe;
  uint32_t runs = 0;
};

struct Engine::Real {
  RealHealthConfig config;  // checkers dropped: `probes` stands for them, in config order
  uint32_t server = 0;
  std::vector<uint32_t> probes;
  std::vector<FileCheckConfig> files;  // FILE_CHECK: no probe, fed by Engine::onFileValue
  bool up = true;
  std::optional<uint32_t> dynamicWeight;
  uint64_t transitions = 0;
  std::optional<TimePoint> changedAt;

  uint64_t liveWeight() const { return up ? dynamicWeight.value_or(config.weight) : 0; }
};

struct Engine::VirtualServer {
  VirtualServerHealthConfig config;  // reals dropped
  std::vector<uint32_t> reals;
  bool quorumUp = true;
  uint64_t liveWeight = 0;
  bool dirty = false;
};

}  // namespace ha::healthcheck
