#include "vrrp/script_tracker.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <algorithm>
#include <utility>

#include "common/log.h"

namespace ha::vrrp {

ScriptHealth::ScriptHealth(uint32_t rise, uint32_t fall, bool initFail)
    : rise_(std::max(rise, 1U)),
      fall_(std::max(fall, 1U)),
      result_(initFail ? 0 : rise_ - 1),
      init_(!initFail) {}

bool ScriptHealth::record(bool success) {
  const Status before = status();
  if (success) {
    // Below the threshold count up one by one; reaching it (or already good) refills to the top
    // so that `fall` failures are needed to go down again.
    result_ = result_ + 1 < rise_ ? result_ + 1 : rise_ + fall_ - 1;
  } else {
    // Good: count down towards rise; the failure at rise (or any failure while bad) empties it,
    // so `rise` successes are needed again.
    result_ = result_ > rise_ ? result_ - 1 : 0;
  }
  init_ = false;
  return status() != before;
}

ScriptHealth::Status ScriptHealth::status() const {
  if (init_) return Status::kInit;
  return result_ >= rise_ ? Status::kGood : Status::kBad;
}

std::optional<bool> ScriptHealth::healthy() const {
  switch (status()) {
    case Status::kInit: return std::nullopt;
    case Status::kGood: return true;
    case Status::kBad: return false;
  }
  return std::nullopt;
}

struct ScriptTracker::Entry {
  Entry(boost::asio::io_context& io, ScriptConfig c)
      : config(std::move(c)), health(config.rise, config.fall, config.initFail), timer(io) {}

  ScriptConfig config;
  std::optional<std::vector<std::string>> argv;
  ScriptHealth health;
  boost::asio::steady_timer timer;
  std::optional<ProcessRunner::RunId> running;
  std::string lastResult;  // ExitStatus::describe() of the previous run, to log changes only
};

namespace {

// What decides how a script runs and is counted; weight and location only matter to trackers.
bool sameRun(const ScriptConfig& a, const ScriptConfig& b) {
  return a.command == b.command && a.interval == b.interval && a.timeout == b.timeout &&
         a.rise == b.rise && a.fall == b.fall;
}

}  // namespace

ScriptTracker::ScriptTracker(boost::asio::io_context& io, ProcessRunner& runner, Listener onChange)
    : io_(io), runner_(runner), onChange_(std::move(onChange)) {}

ScriptTracker::~ScriptTracker() { stop(); }

void ScriptTracker::setScripts(std::vector<ScriptConfig> scripts) {
  std::map<std::string, std::shared_ptr<Entry>> next;
  std::vector<std::shared_ptr<Entry>> fresh;
  for (ScriptConfig& config : scripts) {
    if (next.count(config.name) != 0) {
      log::error("vrrp_script " + config.name + " (" + config.location +
                 ") defined twice: ignoring the later one");
      continue;
    }
    auto old = scripts_.find(config.name);
    if (old != scripts_.end() && sameRun(old->second->config, config)) {
      old->second->config = std::move(config);
      next.emplace(old->first, std::move(old->second));
      scripts_.erase(old);
      continue;
    }
    auto entry = std::make_shared<Entry>(io_, std::move(config));
    next.emplace(entry->config.name, entry);
    fresh.push_back(std::move(entry));
  }
  for (auto& [name, entry] : scripts_) discard(*entry);  // removed or changed
  scripts_ = std::move(next);
  for (const auto& entry : fresh) start(entry);
}

void ScriptTracker::stop() {
  for (auto& [name, entry] : scripts_) discard(*entry);
  scripts_.clear();
}

std::optional<bool> ScriptTracker::healthy(const std::string& name) const {
  auto it = scripts_.find(name);
  if (it == scripts_.end()) return std::nullopt;
  return it->second->health.healthy();
}

std::optional<ScriptView> ScriptTracker::view(const std::string& name) const {
  auto it = scripts_.find(name);
  if (it == scripts_.end()) return std::nullopt;
  return ScriptView{it->second->health.healthy(), it->second->config.weight};
}

void ScriptTracker::start(const std::shared_ptr<Entry>& entry) {
  entry->argv = splitCommandLine(entry->config.command);
  if (!entry->argv || entry->argv->empty()) {
    entry->argv.reset();
    log::error("vrrp_script " + entry->config.name + " (" + entry->config.location +
               "): cannot split command line `" + entry->config.command +
               "`: every run counts as a failure");
  }
  // First run at once, but posted: listeners are never called from inside setScripts().
  boost::asio::post(io_, [this, weak = std::weak_ptr(entry)] {
    if (auto e = weak.lock()) tick(e);
  });
}

void ScriptTracker::tick(const std::shared_ptr<Entry>& entry) {
  const ScriptConfig& config = entry->config;
  // keepalived re-arms the interval timer when a run starts, so runs start `interval` apart
  // however long each takes.
  entry->timer.expires_after(config.interval);
  entry->timer.async_wait([this, weak = std::weak_ptr(entry)](boost::system::error_code ec) {
    if (ec) return;
    if (auto e = weak.lock()) tick(e);
  });

  if (entry->running) {
    // keepalived logs this at LOG_INFO too: a slow script is the operator's choice, not an error.
    log::info("VRRP_Script(" + config.name + ") is still running: skipping this run");
    return;
  }
  if (!entry->argv) {
    ExitStatus status;
    status.error = "cannot split command line";
    finished(entry, status);
    return;
  }
  const Duration timeout = config.timeout > Duration::zero() ? config.timeout : config.interval;
  entry->running = runner_.run(*entry->argv, timeout,
                               [this, weak = std::weak_ptr(entry)](const ExitStatus& status) {
                                 if (auto e = weak.lock()) finished(e, status);
                               });
}

void ScriptTracker::finished(const std::shared_ptr<Entry>& entry, const ExitStatus& status) {
  entry->running.reset();
  const std::string& name = entry->config.name;
  const std::string result = status.describe();
  if (result != entry->lastResult) {
    // keepalived: "Script `chk_x` now returning 1".
    log::info("VRRP_Script(" + name + ") now: " + result);
    entry->lastResult = result;
  }
  const bool success = status.success();
  if (!entry->health.record(success)) return;
  log::info("VRRP_Script(" + name + ") " + (success ? "succeeded" : "failed (" + result + ")"));
  onChange_(name, success);  // last: the listener may reload or stop us
}

void ScriptTracker::discard(Entry& entry) {
  entry.timer.cancel();
  if (entry.running) runner_.cancel(*entry.running);
  entry.running.reset();
}

}  // namespace ha::vrrp
