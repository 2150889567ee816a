#pragma once
// vrrp_script: periodic health scripts and what they do to the instances that track them
// (keepalived 2.2.7: vrrp_scheduler.c vrrp_script_thread / vrrp_script_child_thread, and
// vrrp_track.c).
// A pure part — ScriptHealth — and a thin shell, ScriptTracker, that runs the scripts with a
// ProcessRunner and Asio timers. What a script's result does to an instance is
// tracking.h's.
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/child_process.h"
#include "vrrp/tracking.h"
#include "vrrp/vrrp_config.h"

namespace ha::vrrp {

// keepalived's rise/fall counter (vscript->result, 0 .. rise+fall-1; good when >= rise).
//  - Starts in INIT: unknown. The first result decides at once — one success is enough to go
//    good, one failure to go bad (result = rise-1 and init_state INIT in vrrp_init_script();
//    vrrp_script_child_thread reports a failure while init_state is INIT). While INIT, keepalived
//    neither applies the script's weight nor lets a weight-0 tracker come up (vrrp_track.c
//    initialise_track_script_state: num_script_init).
//  - `init_fail` starts bad instead (result 0): `rise` consecutive successes to go good.
//  - Good -> bad after `fall` consecutive failures; bad -> good after `rise` consecutive
//    successes (a failure while bad restarts the count; a success while good refills it).
// Timeouts and deaths by signal are failures (script_success = false in keepalived).
class ScriptHealth {
 public:
  enum class Status : uint8_t { kInit, kGood, kBad };

  // rise/fall of 0 are taken as 1 (keepalived's minimum).
  ScriptHealth(uint32_t rise, uint32_t fall, bool initFail = false);
  // True when status() changed (INIT -> GOOD/BAD counts).
  bool record(bool success);
  Status status() const;
  std::optional<bool> healthy() const;  // nullopt while INIT

 private:
  uint32_t rise_;
  uint32_t fall_;
  uint32_t result_;
  bool init_;
};

// Runs every configured vrrp_script every `interval` (first run at once, as keepalived's
// vrrp_init_script does), with timeout = `timeout` or else `interval`. A run that is still going
// when the next is due makes that tick skip (keepalived logs "already running"): runs of one
// script never overlap. Reports status changes through the listener, from the io_context thread.
//
// The caller passes only scripts some instance tracks (keepalived: "the script will only be
// executed if at least one VRRP instance monitors it"). A command that cannot be split counts as
// a failure on every run (the config checker is expected to refuse it first).
class ScriptTracker {
 public:
  using Listener = std::function<void(const std::string& name, bool healthy)>;

  ScriptTracker(boost::asio::io_context& io, ProcessRunner& runner, Listener onChange);
  ~ScriptTracker();
  ScriptTracker(const ScriptTracker&) = delete;
  ScriptTracker& operator=(const ScriptTracker&) = delete;

  // Start, or reload: scripts matched by name whose command, interval, timeout, rise and fall are
  // unchanged keep their health, schedule and running child (a weight change needs no re-run);
  // others start again from INIT; removed ones are stopped.
  void setScripts(std::vector<ScriptConfig> scripts);
  // Cancels timers and running children, forgets every script. No listener call afterwards.
  void stop();

  std::optional<bool> healthy(const std::string& name) const;  // nullopt: unknown or INIT
  std::optional<ScriptView> view(const std::string& name) const;  // for trackOutcome()

 private:
  struct Entry;
  void start(const std::shared_ptr<Entry>& entry);
  void tick(const std::shared_ptr<Entry>& entry);
  void finished(const std::shared_ptr<Entry>& entry, const ExitStatus& status);
  void discard(Entry& entry);

  boost::asio::io_context& io_;
  ProcessRunner& runner_;
  Listener onChange_;
  std::map<std::string, std::shared_ptr<Entry>> scripts_;
};

}  // namespace ha::vrrp
