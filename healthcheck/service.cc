#include "healthcheck/service.h"

#include <pthread.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <utility>

#include "common/child_process.h"
#include "common/log.h"
#include "common/post_and_wait.h"

namespace ha::healthcheck {
namespace {

// Runs notify_up/down and quorum_up/down as keepalived does (exec of the split command line, no
// extra arguments), but one at a time per real or virtual server, so a quick down/up flap cannot
// run `notify_up` before `notify_down`. At most one waits behind the running one: a newer request
// replaces it (what matters is the latest state), which bounds memory whatever the flap rate.
class ScriptQueues {
 public:
  ScriptQueues(ProcessRunner& runner, Duration timeout) : runner_(runner), timeout_(timeout) {}
  ~ScriptQueues() {
    for (auto& [owner, queue] : queues_) {
      if (queue.running) runner_.cancel(*queue.running);
    }
  }
  ScriptQueues(const ScriptQueues&) = delete;
  ScriptQueues& operator=(const ScriptQueues&) = delete;

  void run(ScriptRequest request) {
    const std::string owner = request.owner;
    Queue& queue = queues_[owner];
    if (queue.waiting) {
      log::warning(owner + ": " + queue.waiting->keyword + " superseded by " + request.keyword +
                   " before it could run");
    }
    queue.waiting = std::move(request);
    if (!queue.running) startNext(owner);
  }

 private:
  struct Queue {
    std::optional<ProcessRunner::RunId> running;
    std::optional<ScriptRequest> waiting;
  };

  void startNext(const std::string& owner) {
    auto it = queues_.find(owner);
    while (it->second.waiting) {
      ScriptRequest request = std::move(*it->second.waiting);
      it->second.waiting.reset();
      std::string what = owner + " " + request.keyword + " `" + request.command + "`";
      auto argv = splitCommandLine(request.command);
      if (!argv || argv->empty()) {
        log::error(what + ": cannot split the command line: not run");
        continue;
      }
      it->second.running =
          runner_.run(std::move(*argv), timeout_,
                      [this, owner, what = std::move(what)](const ExitStatus& status) {
                        if (!status.success()) log::warning(what + ": " + status.describe());
                        queues_[owner].running.reset();
                        startNext(owner);
                      });
      return;
    }
    queues_.erase(it);
  }

  ProcessRunner& runner_;
  Duration timeout_;
  std::map<std::string, Queue> queues_;  // only owners with a script running
};

}  // namespace

// Everything on the health thread. Members are destroyed in reverse order: the checker first
// (dropping every pending Done, checker.h), then the timer, the scripts and their runner.
class Service::Parts {
 public:
  Parts(boost::asio::io_context& io, HealthListener listener, const ServicePorts& ports,
        const ServiceOptions& options)
      : listener_(std::move(listener)),
        options_(options),
        localTrouble_(ports.localTrouble),
        engine_(EngineOptions{options.seed.value_or(randomSeed()), options.loopJitterPermille}),
        runner_(ports.makeProcessRunner(io)),
        scripts_(*runner_, options.scriptTimeout),
        timer_(io),
        checker_(ports.makeChecker(io)) {
    if (ports.makeFileWatch) {
      files_ = ports.makeFileWatch(io, [this](const std::string& path, int64_t value) {
        EngineStep step = engine_.onFileValue(path, value, Clock::now());
        deliver(step);
      });
    }
  }

  std::vector<HealthEvent> apply(const HealthConfig& config) {
    readFiles(config);
    ApplyOutcome outcome = engine_.apply(config, Clock::now());
    for (ScriptRequest& script : outcome.scripts) scripts_.run(std::move(script));
    arm();
    return std::move(outcome.verdicts);
  }

  HealthSnapshot snapshot() const {
    return engine_.snapshot(Clock::now(), std::chrono::system_clock::now());
  }

 private:
  static uint64_t randomSeed() {
    std::random_device device;
    return (uint64_t{device()} << 32) ^ device();
  }

  // Every track file a FILE_CHECK names, read before the engine judges the reals using them, so
  // a real whose file says "down" never starts up for an instant.
  void readFiles(const HealthConfig& config) {
    if (!files_) return;
    files_->initialise(config.trackFiles, firstApply_);
    firstApply_ = false;
    std::set<std::string> paths;
    for (const auto& vs : config.virtualServers) {
      for (const auto& real : vs.reals) {
        for (const auto& file : real.fileChecks) paths.insert(file.path);
      }
    }
    for (const auto& [path, value] : files_->follow(paths)) {
      EngineStep step = engine_.onFileValue(path, value, Clock::now());
      deliver(step);
    }
  }

  // Re-arms the single timer only when the earliest deadline moved: most results reschedule
  // their probe a period ahead and leave the head of the schedule where it was.
  void arm() {
    const std::optional<TimePoint> next = engine_.nextDeadline();
    if (next == armedFor_) return;
    armedFor_ = next;
    ++armGeneration_;
    if (!next) {
      timer_.cancel();
      return;
    }
    timer_.expires_at(*next);
    timer_.async_wait([this, alive = std::weak_ptr<void>(alive_),
                       generation = armGeneration_](const boost::system::error_code& ec) {
      // A wait that completed just before a re-arm still runs: the generation tells it apart.
      if (ec || alive.expired() || generation != armGeneration_) return;
      armedFor_.reset();
      onTimer();
    });
  }

  void onTimer() {
    starts_.clear();
    EngineStep step = engine_.takeDue(Clock::now(), options_.startWindow, starts_);
    for (const ProbeStart& start : starts_) {
      // Two words: std::function keeps them inline, so starting a probe allocates nothing here.
      checker_->probe(*start.spec, [this, ticket = start.ticket](ProbeResult result) {
        onResult(ticket, std::move(result));
      });
    }
    deliver(step);
    arm();
  }

  void onResult(ProbeTicket ticket, ProbeResult result) {
    std::optional<std::string> inconclusive;
    if (!result.ok && failureCouldBeLocal(result.reason) && localTrouble_) {
      inconclusive = localTrouble_();
    }
    EngineStep step =
        engine_.onResult(ticket, std::move(result), Clock::now(), std::move(inconclusive));
    deliver(step);
    arm();
  }

  void deliver(EngineStep& step) {
    for (ScriptRequest& script : step.scripts) scripts_.run(std::move(script));
    if (!step.events.empty() && listener_) listener_(std::move(step.events));
  }

  HealthListener listener_;
  ServiceOptions options_;
  std::function<std::optional<std::string>()> localTrouble_;
  Engine engine_;
  std::unique_ptr<ProcessRunner> runner_;
  ScriptQueues scripts_;
  boost::asio::steady_timer timer_;
  std::optional<TimePoint> armedFor_;
  uint64_t armGeneration_ = 0;
  std::vector<ProbeStart> starts_;  // reused by every onTimer()
  // Timer completions already queued when Parts dies check this instead of a dangling `this`.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  std::unique_ptr<Checker> checker_;
  bool firstApply_ = true;
  std::unique_ptr<FileWatch> files_;  // destroyed first: no change arrives after the engine
};

Service::Service() : work_(boost::asio::make_work_guard(io_)) {}

template <typename F>
auto Service::onHealthThread(Duration wait, F&& f) {
  return postAndWait(io_, "health", Clock::now() + wait, std::forward<F>(f));
}

std::unique_ptr<Service> Service::start(HealthListener listener, ServicePorts ports,
                                        ServiceOptions options) {
  std::unique_ptr<Service> service(new Service());
  Service* self = service.get();
  service->thread_ = std::thread([self] {
    pthread_setname_np(pthread_self(), "health");  // named for top -H and bench/healthcheck's per-thread CPU
    self->io_.run();
  });
  auto built = self->onHealthThread(
      kHealthStopDeadline,
      [self, listener = std::move(listener), ports = std::move(ports), options]() mutable {
        self->parts_ = std::make_unique<Parts>(self->io_, std::move(listener), ports, options);
        return 0;
      });
  if (!built) {
    // A thread started a moment ago that takes no work is broken, not busy.
    log::error("health checks: the new health thread did not start: " + built.error());
    std::abort();
  }
  return service;
}

Service::~Service() {
  if (!thread_.joinable()) return;
  auto stopped = onHealthThread(kHealthStopDeadline, [this] {
    parts_.reset();
    return 0;
  });
  if (!stopped) {
    log::error("health checks: the health thread did not stop; aborting rather than hanging the exit");
    std::abort();
  }
  work_.reset();
  io_.stop();
  thread_.join();
}

Result<std::vector<HealthEvent>> Service::apply(const HealthConfig& config) {
  return onHealthThread(kHealthApplyDeadline, [this, config]() -> std::vector<HealthEvent> {
    if (!parts_) {
      log::warning("health checks: configuration ignored after shutdown");
      return {};
    }
    return parts_->apply(config);
  });
}

void Service::shutdown() {
  auto done = onHealthThread(kHealthStopDeadline, [this] {
    parts_.reset();
    return 0;
  });
  if (!done) log::error("health checks: shutdown: " + done.error());
}

Result<HealthSnapshot> Service::snapshot() {
  return onHealthThread(kHealthSnapshotDeadline, [this] { return parts_ ? parts_->snapshot() : HealthSnapshot{}; });
}

void Service::runOnThread(std::function<void()> work) { boost::asio::post(io_, std::move(work)); }

}  // namespace ha::healthcheck
