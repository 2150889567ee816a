#pragma once
// Drives a healthcheck::Engine on a manual clock with FakeChecks answering, the way
// healthcheck::Service drives it on a real timer: at each deadline start what is due, hand the
// probes to the checker, and feed the answers back at that same instant. Plus builders for the
// configs the engine tests use.
#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "healthcheck/engine.h"
#include "tests/fakes/fake_checker.h"
#include "tests/fakes/manual_clock.h"

namespace ha::healthcheck::harness {

using namespace std::chrono_literals;

inline IpAddress ip(const char* text) { return *IpAddress::parse(text); }

inline CheckTiming timing(Millis delayLoop = 1000ms, Millis delayBeforeRetry = 100ms,
                          uint32_t retry = 1, uint32_t rise = 1) {
  CheckTiming t;
  t.delayLoop = delayLoop;
  t.delayBeforeRetry = delayBeforeRetry;
  t.retry = retry;
  t.rise = rise;
  return t;
}

inline CheckerConfig check(CheckKind kind, const char* address, uint16_t port,
                           CheckTiming t = timing()) {
  CheckerConfig c;
  c.location = "test.conf:1";
  c.probe.kind = kind;
  c.probe.address = ip(address);
  c.probe.port = port;
  c.probe.connectTimeout = 1000ms;
  if (kind == CheckKind::kHttp || kind == CheckKind::kHttps) c.probe.urls.push_back(UrlCheck{});
  c.timing = t;
  return c;
}

inline CheckerConfig tcp(const char* address, CheckTiming t = timing()) {
  return check(CheckKind::kTcp, address, 80, t);
}

inline RealHealthConfig real(const char* vip, const char* address,
                             std::vector<CheckerConfig> checkers, uint32_t weight = 1) {
  RealHealthConfig r;
  r.location = "test.conf:2";
  r.key = RealKey{6, ip(vip), 80, ip(address), 80};
  r.weight = weight;
  r.checkers = std::move(checkers);
  return r;
}

inline VirtualServerHealthConfig server(const char* vip, std::vector<RealHealthConfig> reals) {
  VirtualServerHealthConfig s;
  s.location = "test.conf:3";
  s.key = ServiceKey{6, ip(vip), 80};
  s.reals = std::move(reals);
  return s;
}

inline RealKey realKey(const char* vip, const char* address) {
  return RealKey{6, ip(vip), 80, ip(address), 80};
}

inline ProbeResult failure(std::string detail, FailureReason reason = FailureReason::kConnectRefused) {
  return ProbeResult::fail(reason, std::move(detail));
}

class EngineHarness {
 public:
  explicit EngineHarness(uint32_t loopJitterPermille = 0, uint64_t seed = 1)
      : engine(EngineOptions{seed, loopJitterPermille}) {}

  ApplyOutcome apply(const HealthConfig& config) {
    ApplyOutcome outcome = engine.apply(config, clock.now());
    for (auto& s : outcome.scripts) scripts.push_back(s);
    return outcome;
  }

  // Runs every deadline up to `until`, then moves the clock there.
  void runUntil(TimePoint until) {
    for (auto next = engine.nextDeadline(); next && *next <= until; next = engine.nextDeadline()) {
      if (*next > clock.now()) clock.advanceTo(*next);
      std::vector<ProbeStart> starts;
      take(engine.takeDue(clock.now(), Duration::zero(), starts));
      for (const ProbeStart& start : starts) {
        started.emplace_back(test::probeTarget(*start.spec), clock.now());
        checker->probe(*start.spec, [this, ticket = start.ticket](ProbeResult result) {
          // As healthcheck::Service asks ServicePorts::localTrouble.
          std::optional<std::string> inconclusive;
          if (!result.ok && failureCouldBeLocal(result.reason) && localTrouble)
            inconclusive = localTrouble();
          take(engine.onResult(ticket, std::move(result), clock.now(), std::move(inconclusive)));
        });
      }
      deliverAnswers();
    }
    clock.advanceTo(until);
    deliverAnswers();
  }
  void runFor(Duration d) { runUntil(clock.now() + d); }

  // Answers the fake posted (e.g. after release()) arrive now.
  void deliverAnswers() {
    io.restart();
    io.poll();
  }

  // Every event since the last call, flattened; steps() keeps the per-step grouping.
  std::vector<HealthEvent> takeEvents() {
    std::vector<HealthEvent> all;
    for (auto& step : steps) all.insert(all.end(), step.begin(), step.end());
    steps.clear();
    return all;
  }

  HealthSnapshot snapshot() { return engine.snapshot(clock.now(), std::chrono::system_clock::now()); }

  std::vector<TimePoint> startsOf(const std::string& target) const {
    std::vector<TimePoint> at;
    for (const auto& [t, when] : started) {
      if (t == target) at.push_back(when);
    }
    return at;
  }

  test::ManualClock clock;
  boost::asio::io_context io;
  test::FakeChecks checks;
  std::unique_ptr<Checker> checker = checks.makeChecker(io);
  Engine engine;
  std::vector<std::vector<HealthEvent>> steps;  // one entry per engine step with events
  std::vector<ScriptRequest> scripts;
  std::vector<std::pair<std::string, TimePoint>> started;
  std::function<std::optional<std::string>()> localTrouble;  // ServicePorts::localTrouble

 private:
  void take(EngineStep step) {
    if (!step.events.empty()) steps.push_back(std::move(step.events));
    for (auto& s : step.scripts) scripts.push_back(std::move(s));
  }
};

}  // namespace ha::healthcheck::harness
