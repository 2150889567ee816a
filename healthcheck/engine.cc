#include "healthcheck/engine.h"

#include <algorithm>
#include <array>
#include <utility>

#include "common/log.h"
#include "healthcheck/engine_parts.h"
#include "healthcheck/file_check.h"

namespace ha::healthcheck {
namespace {

ProbeTicket ticketOf(uint32_t slot, uint32_t run) { return (uint64_t{slot} << 32) | run; }

// The longest a run of this probe may take (checker.h) before the engine gives up on it.
Duration watchdogFor(const ProbeSpec& spec, const CheckTiming& timing) {
  Duration limit = spec.connectTimeout;
  if (spec.kind == CheckKind::kMisc) {
    limit = spec.miscTimeout > Millis::zero() ? Duration(spec.miscTimeout) : Duration(timing.delayLoop);
  }
  return 2 * limit + kCheckerSlack;
}

}  // namespace

bool Engine::IdentityLess::operator()(const std::pair<const ProbeSpec*, const CheckTiming*>& a,
                                      const std::pair<const ProbeSpec*, const CheckTiming*>& b) const {
  if (auto c = *a.first <=> *b.first; c != 0) return c < 0;
  return *a.second < *b.second;
}

bool quorumAfter(bool up, uint64_t liveWeight, uint32_t quorum, uint32_t hysteresis) {
  const uint64_t q = std::max(quorum, 1U);
  // Written without subtraction: quorum - hysteresis saturates at 0, and an empty server is down.
  if (up) return liveWeight != 0 && liveWeight + hysteresis >= q;
  return liveWeight >= q + hysteresis;
}

Engine::Engine(EngineOptions options) : options_(options), random_(options.seed) {}
Engine::~Engine() = default;

ApplyOutcome Engine::apply(const HealthConfig& config, TimePoint now) {
  std::vector<Real> oldReals = std::exchange(reals_, {});
  std::vector<VirtualServer> oldServers = std::exchange(servers_, {});
  std::map<RealKey, size_t> oldRealAt;
  for (size_t i = 0; i < oldReals.size(); ++i) oldRealAt.emplace(oldReals[i].config.key, i);
  std::map<ServiceKey, size_t> oldServerAt;
  for (size_t i = 0; i < oldServers.size(); ++i) oldServerAt.emplace(oldServers[i].config.key, i);
  for (Slot& slot : slots_) {
    if (slot.probe) slot.probe->users.clear();
  }
  dirtyServers_.clear();

  std::vector<bool> createdNow(slots_.size(), false);
  std::set<ServiceKey> seenServers;
  std::set<RealKey> seenReals;
  for (const VirtualServerHealthConfig& vsConfig : config.virtualServers) {
    if (!seenServers.insert(vsConfig.key).second) {
      log::warning("virtual_server " + vsConfig.key.str() + " (" + vsConfig.location +
                   ") configured twice: health checks use the first");
      continue;
    }
    const auto serverIndex = static_cast<uint32_t>(servers_.size());
    VirtualServer& server = servers_.emplace_back();
    server.config = vsConfig;
    server.config.reals.clear();
    for (const RealHealthConfig& realConfig : vsConfig.reals) {
      const auto realIndex = static_cast<uint32_t>(reals_.size());
      if (!seenReals.insert(realConfig.key).second) {
        log::warning("real_server " + realConfig.key.str() + " (" + realConfig.location +
                     ") configured twice: health checks use the first");
        continue;
      }
      Real real;
      real.config = realConfig;
      real.config.checkers.clear();
      real.config.fileChecks.clear();
      real.files = realConfig.fileChecks;
      real.server = serverIndex;
      for (const CheckerConfig& checker : realConfig.checkers) {
        const uint32_t slot = findOrCreateProbe(checker, vsConfig.alpha, now, createdNow);
        real.probes.push_back(slot);
        std::vector<uint32_t>& users = slots_[slot].probe->users;
        if (users.empty() || users.back() != realIndex) users.push_back(realIndex);
      }
      reals_.push_back(std::move(real));
      server.reals.push_back(realIndex);
    }
  }
  for (uint32_t slot = 0; slot < slots_.size(); ++slot) {
    const Probe* probe = slots_[slot].probe.get();
    if (probe && probe->phase != Probe::Phase::kRetiring && probe->users.empty()) releaseProbe(slot);
  }
  std::erase_if(fileValues_, [&](const auto& entry) {
    return std::none_of(reals_.begin(), reals_.end(), [&](const Real& real) {
      return std::any_of(real.files.begin(), real.files.end(),
                         [&](const FileCheckConfig& file) { return file.path == entry.first; });
    });
  });

  // Verdicts: a known real (or virtual server) starts from its previous verdict and reports a
  // transition only if its (possibly new) probes now say otherwise; a new one simply starts
  // where its probes are, and a new virtual server's quorum is live weight >= quorum.
  std::vector<uint32_t> known;
  for (uint32_t i = 0; i < reals_.size(); ++i) {
    Real& real = reals_[i];
    auto old = oldRealAt.find(real.config.key);
    if (old == oldRealAt.end()) {
      real.up = realUp(real);
      real.dynamicWeight = realDynamicWeight(real);
      continue;
    }
    const Real& before = oldReals[old->second];
    real.up = before.up;
    real.dynamicWeight = before.dynamicWeight;
    real.transitions = before.transitions;
    real.changedAt = before.changedAt;
    known.push_back(i);
  }
  for (uint32_t i = 0; i < servers_.size(); ++i) {
    VirtualServer& server = servers_[i];
    for (uint32_t r : server.reals) server.liveWeight += reals_[r].liveWeight();
    auto old = oldServerAt.find(server.config.key);
    if (old == oldServerAt.end()) {
      // keepalived would fire quorum_up/down at start-up; we report the state only (README).
      server.quorumUp = server.liveWeight >= std::max(server.config.quorum, 1U);
      continue;
    }
    server.quorumUp = oldServers[old->second].quorumUp;
    server.dirty = true;  // its weights, quorum or hysteresis may have changed
    dirtyServers_.push_back(i);
  }
  EngineStep step;
  for (uint32_t i : known) settleReal(i, now, step);
  settleQuorums(step);

  ApplyOutcome out;
  out.scripts = std::move(step.scripts);
  out.verdicts.reserve(reals_.size() + servers_.size());
  for (const Real& real : reals_) out.verdicts.emplace_back(verdictOf(real));
  for (const VirtualServer& server : servers_) {
    out.verdicts.emplace_back(QuorumVerdict{server.config.key, server.quorumUp});
  }
  return out;
}

uint32_t Engine::findOrCreateProbe(const CheckerConfig& checker, bool alpha, TimePoint now,
                                   std::vector<bool>& createdNow) {
  if (auto it = index_.find(std::pair{&checker.probe, &checker.timing}); it != index_.end()) {
    Probe& probe = *slots_[it->second].probe;
    // A probe born in this apply starts down if any of its virtual servers has alpha: proving
    // it up once serves them all. One that already ran keeps what it has learnt.
    if (alpha && createdNow[it->second] && probe.tracker.up()) {
      probe.tracker = ProbeTracker(checker.timing, false);
    }
    return it->second;
  }
  uint32_t slot = 0;
  if (freeSlots_.empty()) {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  } else {
    slot = freeSlots_.back();
    freeSlots_.pop_back();
  }
  if (createdNow.size() <= slot) createdNow.resize(slot + 1, false);
  createdNow[slot] = true;
  slots_[slot].probe = std::make_unique<Probe>(checker, !alpha);
  Probe& probe = *slots_[slot].probe;
  probe.deadline =
      deadlines_.emplace(now + firstProbeDelay(checker.timing, random_.next()), slot).first;
  index_.emplace(std::pair{&probe.spec, &probe.tracker.timing()}, slot);
  return slot;
}

void Engine::releaseProbe(uint32_t slot) {
  Probe& probe = *slots_[slot].probe;
  index_.erase(std::pair{&probe.spec, &probe.tracker.timing()});
  if (probe.phase == Probe::Phase::kInFlight) {
    probe.phase = Probe::Phase::kRetiring;  // its watchdog deadline frees it if nothing lands
    return;
  }
  freeSlot(slot);
}

void Engine::freeSlot(uint32_t slot) {
  deadlines_.erase(slots_[slot].probe->deadline);
  slots_[slot].probe.reset();
  freeSlots_.push_back(slot);
}

void Engine::reschedule(Probe& probe, uint32_t slot, TimePoint at) {
  auto node = deadlines_.extract(probe.deadline);
  node.value() = {at, slot};
  probe.deadline = deadlines_.insert(std::move(node)).position;
}

std::optional<TimePoint> Engine::nextDeadline() const {
  if (deadlines_.empty()) return std::nullopt;
  return deadlines_.begin()->first;
}

EngineStep Engine::takeDue(TimePoint now, Duration earlyBy, std::vector<ProbeStart>& starts) {
  EngineStep step;
  const TimePoint horizon = now + earlyBy;
  while (!deadlines_.empty() && deadlines_.begin()->first <= horizon) {
    const uint32_t slot = deadlines_.begin()->second;
    Slot& s = slots_[slot];
    Probe& probe = *s.probe;
    ++s.runs;  // a new run, or an overdue one given up: either way older tickets go stale
    if (probe.phase == Probe::Phase::kIdle) {
      probe.phase = Probe::Phase::kInFlight;
      probe.startedAt = now;
      ++probesRun_;
      ++inFlight_;
      reschedule(probe, slot, now + watchdogFor(probe.spec, probe.tracker.timing()));
      starts.push_back(ProbeStart{ticketOf(slot, s.runs), &probe.spec});
      continue;
    }
    ++overdueProbes_;
    --inFlight_;
    if (probe.phase == Probe::Phase::kRetiring) {
      freeSlot(slot);
      continue;
    }
    const auto waited = std::chrono::duration_cast<Millis>(now - probe.startedAt);
    if (!probe.overdueLogged) {
      probe.overdueLogged = true;
      log::error(std::string(checkKindName(probe.spec.kind)) + " " + endpointOf(probe.spec) +
                 ": the checker gave no result in " + std::to_string(waited.count()) +
                 " ms (checker bug): counted as a failure, a late result will be ignored");
    }
    probe.phase = Probe::Phase::kIdle;
    finishRun(slot,
              ProbeResult::fail(FailureReason::kTimeout,
                                "no result from the checker in " + std::to_string(waited.count()) + " ms"),
              now, step);
  }
  settleQuorums(step);
  return step;
}

EngineStep Engine::onResult(ProbeTicket ticket, ProbeResult result, TimePoint now,
                            std::optional<std::string> inconclusive) {
  EngineStep step;
  const auto slot = static_cast<uint32_t>(ticket >> 32);
  const auto run = static_cast<uint32_t>(ticket);
  // Unknown slot, an older run, or a second answer to the same run: a checker bug or a reload
  // race, never a reason to touch state.
  if (slot >= slots_.size() || !slots_[slot].probe || slots_[slot].runs != run ||
      slots_[slot].probe->phase == Probe::Phase::kIdle) {
    ++staleResults_;
    return step;
  }
  --inFlight_;
  if (slots_[slot].probe->phase == Probe::Phase::kRetiring) {
    ++staleResults_;
    freeSlot(slot);
    return step;
  }
  slots_[slot].probe->phase = Probe::Phase::kIdle;
  if (inconclusive && !result.ok && failureCouldBeLocal(result.reason)) {
    finishInconclusive(slot, std::move(result), std::move(*inconclusive), now);
    return step;
  }
  finishRun(slot, std::move(result), now, step);
  settleQuorums(step);
  return step;
}

// What every answered run updates, conclusive or not.
void Engine::countRun(Probe& probe, const ProbeResult& result, TimePoint now) {
  const Duration latency = result.latency > std::chrono::nanoseconds::zero()
                               ? std::chrono::duration_cast<Duration>(result.latency)
                               : now - probe.startedAt;
  ++probe.probes;
  probe.lastLatency = latency;
  probe.totalLatency += latency;
  probe.maxLatency = std::max(probe.maxLatency, latency);
  latencyByKind_[probe.spec.kind].observe(latency);
  probe.lastOk = result.ok;
  probe.lastAt = now;
}

void Engine::finishRun(uint32_t slot, ProbeResult result, TimePoint now, EngineStep& step) {
  Probe& probe = *slots_[slot].probe;
  countRun(probe, result, now);
  probe.inconclusiveLogged = false;

  bool weightChanged = false;
  if (result.ok) {
    probe.lastDetail.clear();
    if (probe.spec.miscDynamic && result.dynamicWeight != probe.dynamicWeight) {
      probe.dynamicWeight = result.dynamicWeight;
      weightChanged = true;
    }
  } else {
    auto reason = static_cast<size_t>(result.reason);
    if (reason >= kReasonCount) reason = 0;  // a checker's garbage reason counts as "none"
    ++probe.failures;
    ++probe.failuresByReason[reason];
    if (result.detail.empty()) result.detail = failureReasonName(static_cast<FailureReason>(reason));
    probe.lastDetail = result.detail;
    probe.failDetail = std::move(result.detail);
  }

  const TrackerOutcome outcome = probe.tracker.record(result.ok, now);
  TimePoint due = outcome.due;
  if (outcome.next == NextProbe::kAfterDelayLoop) {
    due = now + withJitter(outcome.due - now, options_.loopJitterPermille, random_.next());
  }
  reschedule(probe, slot, due);
  if (outcome.changed || weightChanged) {
    for (uint32_t real : probe.users) settleReal(real, now, step);
  }
}

void Engine::finishInconclusive(uint32_t slot, ProbeResult result, std::string why,
                                TimePoint now) {
  Probe& probe = *slots_[slot].probe;
  countRun(probe, result, now);
  ++probe.inconclusive;
  ++inconclusive_;
  if (result.detail.empty()) result.detail = failureReasonName(result.reason);
  probe.lastDetail = "inconclusive (" + why + "): " + result.detail;
  if (!probe.inconclusiveLogged) {
    probe.inconclusiveLogged = true;
    log::warning(endpointOf(probe.spec) + ": " + result.detail + ": not counted against the real (" +
                 why + ")");
  }
  // The tracker does not move; the next try comes at the usual pace, so a real that really died
  // meanwhile is judged within one delay_loop of the trouble passing.
  const Duration wait = withJitter(probe.tracker.timing().delayLoop, options_.loopJitterPermille,
                                   random_.next());
  reschedule(probe, slot, now + wait);
}

void Engine::settleReal(uint32_t realIndex, TimePoint now, EngineStep& step) {
  Real& real = reals_[realIndex];
  const bool up = realUp(real);
  const std::optional<uint32_t> weight = realDynamicWeight(real);
  if (up == real.up && weight == real.dynamicWeight) return;

  VirtualServer& server = servers_[real.server];
  server.liveWeight -= real.liveWeight();
  const bool flipped = up != real.up;
  real.up = up;
  real.dynamicWeight = weight;
  server.liveWeight += real.liveWeight();
  if (!server.dirty) {
    server.dirty = true;
    dirtyServers_.push_back(real.server);
  }
  RealVerdict verdict = verdictOf(real);
  if (flipped) {
    ++real.transitions;
    real.changedAt = now;
    log::info("real " + real.config.key.str() + (up ? " up" : " down: " + verdict.reason));
    const std::string& command = up ? real.config.notifyUp : real.config.notifyDown;
    if (!command.empty()) {
      step.scripts.push_back(
          ScriptRequest{real.config.key.str(), up ? "notify_up" : "notify_down", command});
    }
  }
  step.events.emplace_back(std::move(verdict));
}

void Engine::settleQuorums(EngineStep& step) {
  for (uint32_t index : dirtyServers_) {
    VirtualServer& server = servers_[index];
    server.dirty = false;
    const bool up = quorumAfter(server.quorumUp, server.liveWeight, server.config.quorum,
                                server.config.hysteresis);
    if (up == server.quorumUp) continue;
    server.quorumUp = up;
    const std::string name = server.config.key.str();
    log::info("virtual server " + name + (up ? " gained" : " lost") + " quorum: live weight " +
              std::to_string(server.liveWeight) + ", quorum " + std::to_string(server.config.quorum) +
              " hysteresis " + std::to_string(server.config.hysteresis));
    const std::string& command = up ? server.config.quorumUp : server.config.quorumDown;
    if (!command.empty()) {
      step.scripts.push_back(ScriptRequest{name, up ? "quorum_up" : "quorum_down", command});
    }
    step.events.emplace_back(QuorumVerdict{server.config.key, up});
  }
  dirtyServers_.clear();
}

EngineStep Engine::onFileValue(const std::string& path, int64_t value, TimePoint now) {
  EngineStep step;
  auto [entry, added] = fileValues_.try_emplace(path, value);
  if (!added && entry->second == value) return step;
  entry->second = value;
  for (uint32_t i = 0; i < reals_.size(); ++i) {
    const auto& files = reals_[i].files;
    if (std::any_of(files.begin(), files.end(),
                    [&](const FileCheckConfig& file) { return file.path == path; })) {
      settleReal(i, now, step);
    }
  }
  settleQuorums(step);
  return step;
}

int64_t Engine::fileValue(const std::string& path) const {
  auto it = fileValues_.find(path);
  return it == fileValues_.end() ? 0 : it->second;  // unread yet: keepalived's missing file
}

bool Engine::realUp(const Real& real) const {
  const bool probesUp = std::all_of(real.probes.begin(), real.probes.end(), [this](uint32_t slot) {
    return slots_[slot].probe->tracker.up();
  });
  return probesUp && std::none_of(real.files.begin(), real.files.end(), [this](const auto& file) {
           return fileCheckEffect(fileValue(file.path), file.weight, file.reverse).down;
         });
}

std::optional<uint32_t> Engine::realDynamicWeight(const Real& real) const {
  std::optional<uint32_t> misc;
  for (uint32_t slot : real.probes) {
    const Probe& probe = *slots_[slot].probe;
    if (probe.spec.miscDynamic && probe.dynamicWeight) {
      misc = probe.dynamicWeight;
      break;
    }
  }
  // keepalived adds each FILE_CHECK's value x weight to the real's weight (check_file.c).
  int64_t delta = 0;
  for (const FileCheckConfig& file : real.files) {
    delta += fileCheckEffect(fileValue(file.path), file.weight, file.reverse).weightDelta;
  }
  if (delta == 0) return misc;
  return weightWithFiles(misc.value_or(real.config.weight), delta);
}

std::string Engine::downReason(const Real& real) const {
  for (uint32_t slot : real.probes) {
    const Probe& probe = *slots_[slot].probe;
    if (probe.tracker.up()) continue;
    std::string reason = std::string(checkKindName(probe.spec.kind)) + " " + endpointOf(probe.spec) +
                         ": " + (probe.failDetail.empty() ? "not proven up yet" : probe.failDetail);
    if (probe.tracker.passesInARow() > 0) {
      reason += " (rising: " + std::to_string(probe.tracker.passesInARow()) + " of " +
                std::to_string(probe.tracker.rise()) + " passes)";
    }
    return reason;
  }
  for (const FileCheckConfig& file : real.files) {
    const int64_t value = fileValue(file.path);
    if (!fileCheckEffect(value, file.weight, file.reverse).down) continue;
    return "FILE_CHECK track_file " + file.trackName + " (" + file.path + "): value " +
           std::to_string(value) + " with weight " + std::to_string(file.weight) +
           (file.reverse ? " reverse" : "") +
           (file.weight == 0 ? " (weight 0: a non-zero value is a failure)"
                             : " is the fault state");
  }
  return {};
}

RealVerdict Engine::verdictOf(const Real& real) const {
  return RealVerdict{real.config.key, real.up, real.dynamicWeight,
                     real.up ? std::string() : downReason(real)};
}

}  // namespace ha::healthcheck
