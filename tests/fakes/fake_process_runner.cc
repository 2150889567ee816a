#include "tests/fakes/fake_process_runner.h"

#include <boost/asio/post.hpp>
#include <condition_variable>
#include <csignal>
#include <map>
#include <mutex>
#include <set>
#include <utility>

namespace ha::test {

ExitStatus exitedWith(int code) {
  ExitStatus status;
  status.started = true;
  status.exitCode = code;
  return status;
}

ExitStatus timedOutAfter(Duration limit) {
  ExitStatus status;
  status.started = true;
  status.timedOut = true;
  status.timeout = limit;
  status.signal = SIGTERM;  // what ChildProcessRunner sends at the timeout
  return status;
}

ExitStatus killedBySignal(int signal) {
  ExitStatus status;
  status.started = true;
  status.signal = signal;
  return status;
}

struct FakeProcesses::Shared {
  struct Pending {
    size_t run;  // index into runs
    std::string program;
    boost::asio::io_context* io;
    ProcessRunner::Done done;
    std::weak_ptr<int> runnerAlive;
  };

  // Posts the answer of runs[index]; callers hold `mutex`.
  static void answer(const std::shared_ptr<Shared>& self, Pending run, ExitStatus status) {
    boost::asio::post(*run.io, [self, index = run.run, done = std::move(run.done),
                                alive = std::move(run.runnerAlive), status = std::move(status)] {
      {
        std::lock_guard lock(self->mutex);
        if (self->runs[index].cancelled || alive.expired()) return;
        self->runs[index].ended = true;
      }
      done(status);
    });
  }

  mutable std::mutex mutex;
  mutable std::condition_variable started;
  std::vector<Run> runs;
  std::map<std::string, ExitStatus> outcomes;
  std::set<std::string> held;
  std::vector<Pending> pending;  // runs of held programs, oldest first
};

class FakeProcesses::Runner final : public ProcessRunner {
 public:
  Runner(boost::asio::io_context& io, std::shared_ptr<Shared> shared)
      : io_(io), shared_(std::move(shared)) {}
  ~Runner() override {
    std::lock_guard lock(shared_->mutex);
    for (const auto& [id, index] : indexOf_) {
      if (!shared_->runs[index].ended) shared_->runs[index].cancelled = true;
    }
    std::erase_if(shared_->pending, [this](const Shared::Pending& p) { return owns(p.run); });
  }

  RunId run(std::vector<std::string> argv, Duration timeout, Done done) override {
    std::lock_guard lock(shared_->mutex);
    const std::string program = argv.empty() ? std::string() : argv.front();
    const RunId id = nextId_++;
    const size_t index = shared_->runs.size();
    indexOf_[id] = index;
    shared_->runs.push_back(Run{std::move(argv), timeout, false, false});
    shared_->started.notify_all();
    Shared::Pending pending{index, program, &io_, std::move(done), alive_};
    if (shared_->held.count(program) != 0) {
      shared_->pending.push_back(std::move(pending));
    } else {
      auto outcome = shared_->outcomes.find(program);
      Shared::answer(shared_, std::move(pending),
                     outcome != shared_->outcomes.end() ? outcome->second : exitedWith(0));
    }
    return id;
  }

  void cancel(RunId id) override {
    auto it = indexOf_.find(id);
    if (it == indexOf_.end()) return;
    std::lock_guard lock(shared_->mutex);
    Run& run = shared_->runs[it->second];
    if (!run.ended) run.cancelled = true;
    std::erase_if(shared_->pending,
                  [index = it->second](const Shared::Pending& p) { return p.run == index; });
  }

 private:
  bool owns(size_t index) const {
    for (const auto& [id, mine] : indexOf_) {
      if (mine == index) return true;
    }
    return false;
  }

  boost::asio::io_context& io_;
  std::shared_ptr<Shared> shared_;
  RunId nextId_ = 1;
  std::map<RunId, size_t> indexOf_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

FakeProcesses::FakeProcesses() : shared_(std::make_shared<Shared>()) {}
FakeProcesses::~FakeProcesses() = default;

std::unique_ptr<ProcessRunner> FakeProcesses::makeRunner(boost::asio::io_context& io) {
  return std::make_unique<Runner>(io, shared_);
}

ProcessRunnerFactory FakeProcesses::factory() {
  return [shared = shared_](boost::asio::io_context& io) -> std::unique_ptr<ProcessRunner> {
    return std::make_unique<Runner>(io, shared);
  };
}

void FakeProcesses::setOutcome(const std::string& program, ExitStatus status) {
  std::lock_guard lock(shared_->mutex);
  shared_->outcomes[program] = std::move(status);
}

void FakeProcesses::hold(const std::string& program) {
  std::lock_guard lock(shared_->mutex);
  shared_->held.insert(program);
}

bool FakeProcesses::endOldest(const std::string& program, ExitStatus status) {
  std::lock_guard lock(shared_->mutex);
  for (auto it = shared_->pending.begin(); it != shared_->pending.end(); ++it) {
    if (it->program != program) continue;
    Shared::Pending pending = std::move(*it);
    shared_->pending.erase(it);
    Shared::answer(shared_, std::move(pending), std::move(status));
    return true;
  }
  return false;
}

std::vector<FakeProcesses::Run> FakeProcesses::runs() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->runs;
}

bool FakeProcesses::waitForRuns(size_t count, Duration limit) const {
  std::unique_lock lock(shared_->mutex);
  return shared_->started.wait_for(lock, limit, [&] { return shared_->runs.size() >= count; });
}

}  // namespace ha::test
