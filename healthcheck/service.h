#pragma once
// healthcheck/ in production: the health io_context thread, the checkers, one steady_timer and the
// notify/quorum scripts around the pure Engine (engine.h). Checks never share a thread with VRRP or
// the director (docs/style.md §5); every Control call is posted here as a value and waited for, and
// verdict changes leave through the listener, from this thread.
//
// One timer for everything: it is armed at the engine's earliest deadline, and on expiry every
// probe due within `startWindow` starts. 10k probes cost one timer, not 10k.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/process_runner.h"
#include "healthcheck/checker.h"
#include "healthcheck/control.h"
#include "healthcheck/engine.h"
#include "healthcheck/file_watch.h"

namespace ha::healthcheck {

// How the service reaches the world beyond its own thread; tests hand it fakes (the same shape as
// sync::ServicePorts). The composition root (director/main) assembles the production ones.
struct ServicePorts {
  // Builds the checker on the health thread, bound to its io_context (MISC_CHECK's runner is
  // the checker's own business: productionPorts() binds one).
  std::function<std::unique_ptr<Checker>(boost::asio::io_context&)> makeChecker;
  // Runs notify_up/down and quorum_up/down, on the health thread.
  ProcessRunnerFactory makeProcessRunner;
  // Asked on the health thread when a probe failed without any answer from the real
  // (failureCouldBeLocal): why our own side cannot probe now, if it cannot (the director passes
  // its conntrack table's pressure). A reason makes the result inconclusive (engine.h onResult).
  // Empty: every such failure counts.
  std::function<std::optional<std::string>()> localTrouble;
  // Follows FILE_CHECK's track files, built on the health thread; `changed` must be called there.
  // Empty: files are never read, every FILE_CHECK sees 0 (a missing file).
  std::function<std::unique_ptr<FileWatch>(boost::asio::io_context&, FileWatch::Changed changed)>
      makeFileWatch;
};
// The checkers of makeCheckerSet; scripts and MISC_CHECK run by ChildProcessRunner (a runner
// each); track files through inotify; no source of local trouble.
ServicePorts productionPorts();

// How long other threads wait for the health thread (common/post_and_wait.h). A reload may build
// thousands of checkers; a snapshot answers an admin call, which has less than directorctl's 5 s.
inline constexpr auto kHealthApplyDeadline = std::chrono::seconds(10);
inline constexpr auto kHealthSnapshotDeadline = std::chrono::milliseconds(1500);
inline constexpr auto kHealthStopDeadline = std::chrono::seconds(5);

struct ServiceOptions {
  std::optional<uint64_t> seed;  // jitter; nullopt: std::random_device
  uint32_t loopJitterPermille = kDefaultLoopJitterPermille;
  // notify_up/down and quorum_up/down: as long as vrrp's notify scripts may take.
  Duration scriptTimeout = std::chrono::seconds(30);
  // Probes due this close to a timer expiry start with it: at 10k probes/s that is about a
  // thousand wake-ups a second instead of ten thousand, for at most 1 ms of earliness.
  Duration startWindow = std::chrono::milliseconds(1);
};

class Service final : public Control {
 public:
  // The listener runs on the health thread: it must post to its own thread and never call back
  // into this Service (every Control call waits for the health thread: it would deadlock).
  static std::unique_ptr<Service> start(HealthListener listener, ServicePorts ports,
                                        ServiceOptions options = {});
  // Stops everything (as shutdown()) and joins the thread; aborts (after a log line) if the health
  // thread does not stop within kHealthStopDeadline rather than hang the exit.
  ~Service() override;
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Scripts of transitions caused by the reload run; its verdicts are returned, not sent to the
  // listener. Returns nothing after shutdown().
  Result<std::vector<HealthEvent>> apply(const HealthConfig& config) override;
  // Final: drops the checkers (closing their sockets, killing MISC_CHECK children), kills running
  // scripts, forgets the engine. No listener call afterwards.
  void shutdown() override;
  Result<HealthSnapshot> snapshot() override;  // empty after shutdown()
  void runOnThread(std::function<void()> work) override;

 private:
  class Parts;
  Service();
  template <typename F>
  auto onHealthThread(Duration wait, F&& f);

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::unique_ptr<Parts> parts_;  // built, used and destroyed on the health thread only
  std::thread thread_;
};

}  // namespace ha::healthcheck
