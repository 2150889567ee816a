#pragma once
// keepalived's notify scripts (vrrp_notify.c send_instance_notifies / send_group_notifies):
// on each state change the state's own script (notify_master / notify_backup / notify_fault /
// notify_stop) runs with exactly its configured arguments, then the generic `notify` script with
// four more: "INSTANCE"|"GROUP", the name, "MASTER"|"BACKUP"|"FAULT"|"STOP", and the priority —
// the instance's effective priority, always "0" for a group (keepalived: "the prio will be
// indicated as zero for a group"). INIT is never notified.
//
// Unlike keepalived, which fires each script and forgets it, the scripts of one instance (or
// group) run one after another: the next starts when the previous exited or was killed at its
// timeout, so a quick MASTER -> BACKUP flap cannot deliver BACKUP before MASTER. Different
// instances do not wait for each other. A failure is logged and affects nothing else.
//
// Which transitions to notify is the caller's decision: keepalived skips an instance's own
// notifies when it only follows its sync group into the group's state.
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/child_process.h"
#include "vrrp/state_machine.h"
#include "vrrp/vrrp_config.h"

namespace ha::vrrp {

// Generous: a notify script that restarts a service may take a while; one that hangs must not
// block that instance's later notifications for ever.
inline constexpr Duration kNotifyTimeout = std::chrono::seconds(30);
// keepalived runs the STOP scripts with a 1 s limit, then SIGKILLs their process group
// (system_call_script(..., TIMER_HZ, ...) + child_killed_thread): shutdown must not hang on them.
inline constexpr Duration kNotifyStopTimeout = std::chrono::seconds(1);

class Notifier {
 public:
  explicit Notifier(ProcessRunner& runner, Duration timeout = kNotifyTimeout,
                    Duration stopTimeout = kNotifyStopTimeout);
  // Cancels what is running and drops what is queued.
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  void instanceChanged(const InstanceConfig& instance, State to, uint8_t priority);
  void instanceStopped(const InstanceConfig& instance, uint8_t priority);
  void groupChanged(const SyncGroupConfig& group, State to);
  void groupStopped(const SyncGroupConfig& group);

  // Scripts queued or running, over all instances and groups.
  size_t pending() const;
  // `done` runs once nothing is pending: at once if nothing is, else from the io_context when the
  // last script ends. For shutdown: notify STOP for everything, then wait for this before stopping
  // the io_context.
  void whenIdle(std::function<void()> done);

 private:
  enum class Notify : uint8_t { kMaster, kBackup, kFault, kStop };
  struct Job {
    std::vector<std::string> argv;
    Duration timeout{};
    std::string what;  // "VRRP_Instance(VI_1) MASTER notify_master" for the log
  };
  struct Queue {
    std::deque<Job> jobs;
    std::optional<ProcessRunner::RunId> running;
  };

  static std::optional<Notify> notifyFor(State state);
  void enqueue(const std::string& kind, const std::string& name, const NotifyScripts& scripts,
               Notify state, int priority);
  void add(Queue& queue, const std::string& command, std::vector<std::string> extra,
           Duration timeout, std::string what);
  void startNext(const std::string& key);
  void checkIdle();

  ProcessRunner& runner_;
  Duration timeout_;
  Duration stopTimeout_;
  std::map<std::string, Queue> queues_;  // "INSTANCE VI_1", "GROUP G1"
  std::vector<std::function<void()>> idleWaiters_;
};

}  // namespace ha::vrrp
