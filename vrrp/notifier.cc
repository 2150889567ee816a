#include "vrrp/notifier.h"

#include <utility>

#include "common/log.h"

namespace ha::vrrp {
namespace {

// keepalived's words on the command line ($3 of `notify`), and the keyword for the log.
const char* stateWord(int state) {
  static constexpr const char* kWords[] = {"MASTER", "BACKUP", "FAULT", "STOP"};
  return kWords[state];
}
const char* keyword(int state) {
  static constexpr const char* kKeywords[] = {"notify_master", "notify_backup", "notify_fault",
                                              "notify_stop"};
  return kKeywords[state];
}

}  // namespace

std::optional<Notifier::Notify> Notifier::notifyFor(State state) {
  switch (state) {
    case State::kMaster: return Notify::kMaster;
    case State::kBackup: return Notify::kBackup;
    case State::kFault: return Notify::kFault;
    case State::kInitialize: return std::nullopt;  // keepalived has no notify for INIT
  }
  return std::nullopt;
}

Notifier::Notifier(ProcessRunner& runner, Duration timeout, Duration stopTimeout)
    : runner_(runner), timeout_(timeout), stopTimeout_(stopTimeout) {}

Notifier::~Notifier() {
  for (auto& [key, queue] : queues_) {
    if (queue.running) runner_.cancel(*queue.running);
  }
}

void Notifier::instanceChanged(const InstanceConfig& instance, State to, uint8_t priority) {
  if (auto notify = notifyFor(to)) {
    enqueue("INSTANCE", instance.name, instance.notify, *notify, priority);
  }
}

void Notifier::instanceStopped(const InstanceConfig& instance, uint8_t priority) {
  enqueue("INSTANCE", instance.name, instance.notify, Notify::kStop, priority);
}

void Notifier::groupChanged(const SyncGroupConfig& group, State to) {
  if (auto notify = notifyFor(to)) enqueue("GROUP", group.name, group.notify, *notify, 0);
}

void Notifier::groupStopped(const SyncGroupConfig& group) {
  enqueue("GROUP", group.name, group.notify, Notify::kStop, 0);
}

size_t Notifier::pending() const {
  size_t n = 0;
  for (const auto& [key, queue] : queues_) n += queue.jobs.size() + (queue.running ? 1 : 0);
  return n;
}

void Notifier::whenIdle(std::function<void()> done) {
  if (pending() == 0) {
    done();
    return;
  }
  idleWaiters_.push_back(std::move(done));
}

void Notifier::enqueue(const std::string& kind, const std::string& name,
                       const NotifyScripts& scripts, Notify state, int priority) {
  const int index = static_cast<int>(state);
  const std::string& specific = state == Notify::kMaster   ? scripts.master
                                : state == Notify::kBackup ? scripts.backup
                                : state == Notify::kFault  ? scripts.fault
                                                           : scripts.stop;
  if (specific.empty() && scripts.any.empty()) return;

  const std::string key = kind + " " + name;
  const std::string label =
      (kind == "INSTANCE" ? "VRRP_Instance(" : "VRRP_Group(") + name + ") " + stateWord(index);
  const Duration timeout = state == Notify::kStop ? stopTimeout_ : timeout_;
  Queue& queue = queues_[key];
  // Order as keepalived: the state's own script first, then the generic one.
  if (!specific.empty()) add(queue, specific, {}, timeout, label + " " + keyword(index));
  if (!scripts.any.empty()) {
    add(queue, scripts.any, {kind, name, stateWord(index), std::to_string(priority)}, timeout,
        label + " notify");
  }
  if (!queue.running) startNext(key);
}

void Notifier::add(Queue& queue, const std::string& command, std::vector<std::string> extra,
                   Duration timeout, std::string what) {
  std::optional<std::vector<std::string>> argv = splitCommandLine(command);
  if (!argv || argv->empty()) {
    log::error(what + ": cannot split command line `" + command + "`: not run");
    return;
  }
  for (std::string& arg : extra) argv->push_back(std::move(arg));
  queue.jobs.push_back(Job{std::move(*argv), timeout, std::move(what)});
}

void Notifier::startNext(const std::string& key) {
  auto it = queues_.find(key);
  if (it == queues_.end()) return;
  Queue& queue = it->second;
  if (queue.jobs.empty()) {
    queues_.erase(it);
    checkIdle();
    return;
  }
  Job job = std::move(queue.jobs.front());
  queue.jobs.pop_front();
  const std::string what = job.what + " " + job.argv.front();
  auto onDone = [this, key, what](const ExitStatus& status) {
    if (status.success()) {
      log::debug(what + ": " + status.describe());
    } else {
      log::warning(what + " failed: " + status.describe());
    }
    auto done = queues_.find(key);
    if (done != queues_.end()) done->second.running.reset();
    startNext(key);  // the next script of this instance, whatever this one did
  };
  queue.running = runner_.run(std::move(job.argv), job.timeout, std::move(onDone));
}

void Notifier::checkIdle() {
  if (pending() != 0 || idleWaiters_.empty()) return;
  std::vector<std::function<void()>> waiters = std::move(idleWaiters_);
  idleWaiters_.clear();
  for (auto& waiter : waiters) waiter();
}

}  // namespace ha::vrrp
