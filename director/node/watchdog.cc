#include "director/node/watchdog.h"

#include <charconv>

#include "common/log.h"

namespace ha::director {
namespace {

std::optional<uint32_t> seconds(std::string_view text) {
  uint32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<HangDrill> parseHangDrill(const std::string& text, std::string& why) {
  const auto first = text.find(':');
  const auto second = first == std::string::npos ? std::string::npos : text.find(':', first + 1);
  if (second == std::string::npos) {
    why = "expected LOOP:AFTER_SECONDS:FOR_SECONDS, got '" + text + "'";
    return std::nullopt;
  }
  HangDrill drill;
  drill.loop = text.substr(0, first);
  auto after = seconds(std::string_view(text).substr(first + 1, second - first - 1));
  auto hangFor = seconds(std::string_view(text).substr(second + 1));
  if (drill.loop != "director" && drill.loop != "vrrp" && drill.loop != "health" &&
      drill.loop != "sync") {
    why = "unknown loop '" + drill.loop + "' (director, vrrp, health or sync)";
    return std::nullopt;
  }
  if (!after || !hangFor) {
    why = "AFTER and FOR must be whole seconds in '" + text + "'";
    return std::nullopt;
  }
  drill.after = std::chrono::seconds(*after);
  drill.hangFor = std::chrono::seconds(*hangFor);
  return drill;
}

Watchdog::Watchdog(std::vector<WatchedLoop> loops, Duration period, std::function<void()> feed,
                   std::optional<HangDrill> drill)
    : loops_(std::move(loops)),
      period_(period),
      feed_(std::move(feed)),
      drill_(std::move(drill)),
      started_(Clock::now()),
      stamps_(std::make_shared<Stamps>(loops_.size(), started_)),
      thread_([this] { run(); }) {}

Watchdog::~Watchdog() { stop(); }

void Watchdog::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Watchdog::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    tick(Clock::now());
    lock.lock();
    wake_.wait_for(lock, period_ / 4, [this] { return stopping_; });
  }
}

void Watchdog::tick(TimePoint now) {
  std::vector<LoopStamp> stamps;
  for (size_t i = 0; i < loops_.size(); ++i) {
    stamps.push_back({loops_[i].name, TimePoint(Duration(stamps_->lastRunNs[i].load()))});
  }
  auto liveness = assessLiveness(stamps, now, period_ / 2);
  if (auto line = livenessChangeLine(stale_, liveness.stale); !line.empty()) {
    (liveness.feed ? log::info : log::error)(line);
  }
  stale_ = std::move(liveness.stale);
  if (liveness.feed) feed_();
  for (size_t i = 0; i < loops_.size(); ++i) {
    loops_[i].post([stamps = stamps_, i] {
      stamps->lastRunNs[i].store(Clock::now().time_since_epoch().count());
    });
    if (drill_ && drill_->loop == loops_[i].name && now - started_ >= drill_->after) {
      log::warning("--debug-hang-loop: the " + drill_->loop + " thread now hangs for " +
                   std::to_string(
                       std::chrono::duration_cast<std::chrono::seconds>(drill_->hangFor).count()) +
                   " s");
      loops_[i].post([hangFor = drill_->hangFor] { std::this_thread::sleep_for(hangFor); });
      drill_.reset();
    }
  }
}

}  // namespace ha::director
