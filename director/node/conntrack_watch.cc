#include "director/node/conntrack_watch.h"

#include "common/log.h"

namespace ha::director {
namespace {

uint64_t ageMs(TimePoint now, TimePoint then) {
  return now <= then
             ? 0
             : static_cast<uint64_t>(
                   std::chrono::duration_cast<std::chrono::milliseconds>(now - then).count());
}

}  // namespace

ConntrackWatch::ConntrackWatch(std::unique_ptr<ConntrackStatsPort> port,
                               ConntrackPressureOptions options)
    : port_(std::move(port)), pressure_(options) {}

void ConntrackWatch::sample(TimePoint now) {
  std::lock_guard lock(mutex_);
  sampleLocked(now);
}

void ConntrackWatch::sampleLocked(TimePoint now) {
  auto stats = port_->stats();
  if (!stats) {
    if (error_.empty())
      log::warning("conntrack statistics: " + stats.error() +
                   " (health probes are judged as usual)");
    error_ = stats.error();
    return;
  }
  if (!error_.empty()) log::info("conntrack statistics readable again");
  error_.clear();
  pressure_.record(stats.value(), now);
  auto reason = pressure_.reason(now);
  if (reason && !pressured_) {
    log::warning(*reason +
                 ": health probes that get no answer are held as "
                 "inconclusive until it passes");
  } else if (!reason && pressured_) {
    const auto since = pressure_.sinceStart();
    log::info("conntrack pressure over: " + std::to_string(stats->entries) + " of " +
              std::to_string(stats->max) + " entries, " + std::to_string(since ? since->drop : 0) +
              " packets dropped since directord started");
  }
  pressured_ = reason.has_value();
}

std::optional<std::string> ConntrackWatch::probeTrouble(TimePoint now) {
  std::lock_guard lock(mutex_);
  const auto at = pressure_.lastSampleAt();
  if (!at || now - *at >= kConntrackFreshness) sampleLocked(now);
  return pressure_.reason(now);
}

ConntrackStatus ConntrackWatch::status(TimePoint now) {
  std::lock_guard lock(mutex_);
  const auto sampledAt = pressure_.lastSampleAt();
  if (!sampledAt || now - *sampledAt >= kConntrackFreshness) sampleLocked(now);
  ConntrackStatus s;
  s.error = error_;
  s.kernel = pressure_.last();
  s.sinceStart = pressure_.sinceStart();
  s.pressure = pressure_.reason(now).value_or("");
  if (auto at = pressure_.lastDropAt()) s.lastDropAgeMs = ageMs(now, *at);
  s.pressureEpisodes = pressure_.episodes();
  if (auto at = pressure_.lastSampleAt()) s.sampleAgeMs = ageMs(now, *at);
  return s;
}

}  // namespace ha::director
