// healthcheck::Service end to end with FakeChecks (and FakeProcesses, or real scripts) on its own
// thread: real time, but short periods (tens of ms) and every wait bounded.
#include "healthcheck/service.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdlib>  // mkdtemp
#include <filesystem>
#include <mutex>
#include <thread>

#include "common/child_process.h"
#include "tests/fakes/fake_process_runner.h"
#include "tests/unit/healthcheck/engine_harness.h"

namespace ha::healthcheck {
namespace {

using namespace harness;  // config builders
constexpr const char* kTcp11 = "TCP_CHECK 198.51.100.11:80";

CheckTiming fast() { return timing(50ms, 20ms, 1); }

// Collects what the listener receives on the health thread.
class Events {
 public:
  HealthListener listener() {
    return [this](std::vector<HealthEvent> events) {
      std::lock_guard lock(mutex_);
      all_.insert(all_.end(), events.begin(), events.end());
      changed_.notify_all();
    };
  }
  bool waitFor(const std::function<bool(const HealthEvent&)>& match, Duration limit = 5s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, limit, [&] { return std::any_of(all_.begin(), all_.end(), match); });
  }
  size_t count() {
    std::lock_guard lock(mutex_);
    return all_.size();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<HealthEvent> all_;
};

std::function<bool(const HealthEvent&)> realIs(const RealKey& key, bool up) {
  return [key, up](const HealthEvent& e) {
    const auto* v = std::get_if<RealVerdict>(&e);
    return v && v->key == key && v->up == up;
  };
}

bool eventually(const std::function<bool()>& done, Duration limit = 5s) {
  const auto deadline = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ha-health-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

HealthConfig twoReals(const std::string& notifyDir = {}) {
  auto r11 = real("192.0.2.1", "198.51.100.11", {tcp("198.51.100.11", fast())});
  auto r12 = real("192.0.2.1", "198.51.100.12", {tcp("198.51.100.12", fast())});
  auto vs = server("192.0.2.1", {r11, r12});
  if (!notifyDir.empty()) {
    vs.reals[0].notifyDown = "/usr/bin/touch " + notifyDir + "/down";
    vs.reals[0].notifyUp = "/usr/bin/touch " + notifyDir + "/up";
    vs.quorum = 2;
    vs.quorumDown = "/usr/bin/touch " + notifyDir + "/quorum-down";
  }
  HealthConfig config;
  config.virtualServers.push_back(vs);
  return config;
}

ServicePorts portsOf(test::FakeChecks& checks) {
  ServicePorts ports;
  ports.makeChecker = checks.factory();
  ports.makeProcessRunner = makeChildProcessRunner;
  return ports;
}

// Probes run on the service's own timer; a failing real is reported down with its reason and
// its notify_down and quorum_down scripts run; it comes back up with notify_up.
TEST(Service, ReportsTransitionsAndRunsScripts) {
  TempDir dir;
  Events events;
  test::FakeChecks checks;
  auto service = Service::start(events.listener(), portsOf(checks), ServiceOptions{.seed = 5});
  const auto applied = service->apply(twoReals(dir.file("")));
  ASSERT_TRUE(applied.ok());
  const auto& verdicts = applied.value();
  ASSERT_EQ(verdicts.size(), 3U);
  EXPECT_TRUE(std::get<RealVerdict>(verdicts[0]).up);
  EXPECT_TRUE(std::get<QuorumVerdict>(verdicts[2]).up);
  ASSERT_TRUE(eventually([&] { return checks.probeCount(kTcp11) >= 3; }));

  const RealKey key = realKey("192.0.2.1", "198.51.100.11");
  checks.setStanding(kTcp11, failure("connection refused"));
  ASSERT_TRUE(events.waitFor(realIs(key, false)));
  EXPECT_TRUE(events.waitFor([&](const HealthEvent& e) {
    const auto* v = std::get_if<RealVerdict>(&e);
    return v && v->reason == "TCP_CHECK 198.51.100.11:80: connection refused";
  }));
  EXPECT_TRUE(events.waitFor([](const HealthEvent& e) {
    const auto* q = std::get_if<QuorumVerdict>(&e);
    return q && !q->up;
  }));
  EXPECT_TRUE(eventually([&] { return std::filesystem::exists(dir.file("down")); }));
  EXPECT_TRUE(eventually([&] { return std::filesystem::exists(dir.file("quorum-down")); }));

  checks.setStanding(kTcp11, ProbeResult::pass());
  ASSERT_TRUE(events.waitFor(realIs(key, true)));
  EXPECT_TRUE(eventually([&] { return std::filesystem::exists(dir.file("up")); }));

  const HealthSnapshot snap = service->snapshot().value();
  EXPECT_EQ(snap.distinctProbes, 2U);
  EXPECT_GE(snap.probesRun, 6U);
  EXPECT_EQ(snap.reals[0].transitions, 2U);
  ASSERT_TRUE(snap.reals[0].checkers[0].lastAt.has_value());
}

// On a fake runner: notify_down and notify_up run exactly as configured (split, no shell) under
// scriptTimeout, one at a time per real (notify_up waits behind a running notify_down, whatever
// its exit); destroying the service cancels the script still running.
TEST(Service, NotifyScriptsRunInOrderWithTheirArguments) {
  using Argv = std::vector<std::string>;
  Events events;
  test::FakeChecks checks;
  test::FakeProcesses processes;
  ServicePorts ports = portsOf(checks);
  ports.makeProcessRunner = processes.factory();
  auto service = Service::start(events.listener(), std::move(ports),
                                ServiceOptions{.seed = 9, .scriptTimeout = 7s});
  HealthConfig config = twoReals();
  config.virtualServers[0].reals[0].notifyDown = "/etc/ha/real-down 198.51.100.11 'web pool'";
  config.virtualServers[0].reals[0].notifyUp = "/etc/ha/real-up 198.51.100.11";
  processes.hold("/etc/ha/real-down");
  processes.hold("/etc/ha/real-up");
  ASSERT_TRUE(service->apply(config).ok());
  EXPECT_TRUE(processes.runs().empty()) << "a real that starts up runs no script";

  const RealKey key = realKey("192.0.2.1", "198.51.100.11");
  checks.setStanding(kTcp11, failure("connection refused"));
  ASSERT_TRUE(events.waitFor(realIs(key, false)));
  checks.setStanding(kTcp11, ProbeResult::pass());
  ASSERT_TRUE(events.waitFor(realIs(key, true)));
  // The listener hears a verdict after its script was handed to the queue.
  auto runs = processes.runs();
  ASSERT_EQ(runs.size(), 1u) << "notify_up must wait for notify_down";
  EXPECT_EQ(runs[0].argv, (Argv{"/etc/ha/real-down", "198.51.100.11", "web pool"}));
  EXPECT_EQ(runs[0].timeout, 7s);

  ASSERT_TRUE(processes.endOldest("/etc/ha/real-down", test::exitedWith(1)));
  ASSERT_TRUE(processes.waitForRuns(2));
  runs = processes.runs();
  EXPECT_EQ(runs[1].argv, (Argv{"/etc/ha/real-up", "198.51.100.11"}));
  EXPECT_EQ(runs[1].timeout, 7s);

  service.reset();
  runs = processes.runs();
  EXPECT_TRUE(runs[0].ended);
  EXPECT_TRUE(runs[1].cancelled);
  EXPECT_FALSE(runs[1].ended);
}

// apply() from another thread while a run is in flight: the run's late answer is ignored and
// counted, the new configuration runs.
TEST(Service, ReloadWhileInFlight) {
  Events events;
  test::FakeChecks checks;
  auto service = Service::start(events.listener(), portsOf(checks), ServiceOptions{.seed = 6});
  checks.hold(kTcp11);
  ASSERT_TRUE(service->apply(twoReals()).ok());
  ASSERT_TRUE(eventually([&] { return checks.pending(kTcp11) == 1; }));

  HealthConfig only12;
  only12.virtualServers.push_back(server("192.0.2.1", {real("192.0.2.1", "198.51.100.12", {tcp("198.51.100.12", fast())})}));
  std::vector<HealthEvent> verdicts;
  std::thread director([&] { verdicts = service->apply(only12).value(); });
  director.join();
  EXPECT_EQ(verdicts.size(), 2U);
  checks.setStanding(kTcp11, failure("stale"));
  EXPECT_EQ(checks.release(kTcp11), 1U);
  EXPECT_TRUE(eventually([&] { return service->snapshot().value().staleResults == 1; }));
  EXPECT_EQ(events.count(), 0U);
  EXPECT_EQ(service->snapshot().value().distinctProbes, 1U);
}

// shutdown() is final: pending probes are dropped, no event follows, apply and snapshot return
// nothing.
TEST(Service, ShutdownStopsEverything) {
  Events events;
  test::FakeChecks checks;
  auto service = Service::start(events.listener(), portsOf(checks), ServiceOptions{.seed = 7});
  checks.hold(kTcp11);
  ASSERT_TRUE(service->apply(twoReals()).ok());
  ASSERT_TRUE(eventually([&] { return checks.pending(kTcp11) == 1; }));
  service->shutdown();
  EXPECT_EQ(checks.release(kTcp11), 0U);  // the checker went, with its pending answers
  const size_t runs = checks.probes().size();
  checks.setStanding("TCP_CHECK 198.51.100.12:80", failure("refused"));
  std::this_thread::sleep_for(200ms);  // four periods: nothing may run
  EXPECT_EQ(checks.probes().size(), runs);
  EXPECT_EQ(events.count(), 0U);
  EXPECT_TRUE(service->apply(twoReals()).value().empty());
  EXPECT_TRUE(service->snapshot().value().reals.empty());
}

// Destroying the service kills a running script instead of waiting for it.
TEST(Service, DestructionKillsRunningScripts) {
  Events events;
  test::FakeChecks checks;
  auto service = Service::start(events.listener(), portsOf(checks), ServiceOptions{.seed = 8});
  HealthConfig config = twoReals();
  config.virtualServers[0].reals[0].notifyDown = "/bin/sleep 30";
  ASSERT_TRUE(service->apply(config).ok());
  checks.setStanding(kTcp11, failure("refused"));
  ASSERT_TRUE(events.waitFor(realIs(realKey("192.0.2.1", "198.51.100.11"), false)));
  const auto start = Clock::now();
  service.reset();
  EXPECT_LT(Clock::now() - start, 3s);
}

}  // namespace
}  // namespace ha::healthcheck
