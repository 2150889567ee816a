#include "director/node/conntrack_pressure.h"

#include <cstdio>

namespace ha::director {

bool ConntrackPressure::full(const ConntrackStats &s) const {
  return s.max != 0 && s.entries * 1000 >= s.max * options_.fullPermille;
}

void ConntrackPressure::record(const ConntrackStats &stats, TimePoint now) {
  if (!first_) first_ = stats;
  // Only a rise is a drop (a counter that went down means conntrack restarted
  // in the namespace).
  if (last_ && stats.drop > last_->drop) lastDropAt_ = now;
  last_ = stats;
  lastAt_ = now;
  const bool pressured = reason(now).has_value();
  if (pressured && !pressured_) ++episodes_;
  pressured_ = pressured;
}

std::optional<std::string> ConntrackPressure::reason(TimePoint now) const {
  if (!last_) return std::nullopt;
  if (full(*last_)) {
    return "conntrack table full: " + std::to_string(last_->entries) + " of " +
           std::to_string(last_->max) + " entries";
  }
  if (lastDropAt_ && now - *lastDropAt_ < options_.dropMemory) {
    char ago[32];
    std::snprintf(ago, sizeof ago, "%.1f",
                  std::chrono::duration<double>(now - *lastDropAt_).count());
    return "conntrack dropped packets for want of an entry " + std::string(ago) + " s ago (" +
           std::to_string(last_->entries) + " of " + std::to_string(last_->max) + " entries now)";
  }
  return std::nullopt;
}

std::optional<ConntrackStats> ConntrackPressure::sinceStart() const {
  if (!first_ || !last_) return std::nullopt;
  auto delta = [](uint64_t now, uint64_t then) { return now >= then ? now - then : now; };
  ConntrackStats d = *last_;
  d.found = delta(last_->found, first_->found);
  d.invalid = delta(last_->invalid, first_->invalid);
  d.insert = delta(last_->insert, first_->insert);
  d.insertFailed = delta(last_->insertFailed, first_->insertFailed);
  d.drop = delta(last_->drop, first_->drop);
  d.earlyDrop = delta(last_->earlyDrop, first_->earlyDrop);
  d.error = delta(last_->error, first_->error);
  d.searchRestart = delta(last_->searchRestart, first_->searchRestart);
  d.clashResolve = delta(last_->clashResolve, first_->clashResolve);
  d.chainTooLong = delta(last_->chainTooLong, first_->chainTooLong);
  return d;
}

}  // namespace ha::director
