#include "director/node/liveness.h"

#include <algorithm>
#include <chrono>

namespace ha::director {

Liveness assessLiveness(const std::vector<LoopStamp>& stamps, TimePoint now, Duration maxAge) {
  Liveness out;
  for (const auto& s : stamps) {
    const Duration age = now > s.lastRun ? now - s.lastRun : Duration::zero();
    if (age > maxAge) out.stale.push_back({s.name, age});
  }
  out.feed = out.stale.empty();
  return out;
}

std::string livenessChangeLine(const std::vector<StaleLoop>& before,
                               const std::vector<StaleLoop>& now) {
  auto names = [](const std::vector<StaleLoop>& loops) {
    std::vector<std::string> out;
    out.reserve(loops.size());
    for (const auto& l : loops) out.push_back(l.name);
    return out;
  };
  if (names(before) == names(now)) return {};
  if (now.empty()) return "watchdog: every thread runs again; feeding systemd's watchdog";
  std::string line = "watchdog: ";
  for (size_t i = 0; i < now.size(); ++i) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now[i].silentFor).count();
    line += (i == 0 ? "the " : ", the ") + now[i].name + " thread has not run for " +
            std::to_string(ms) + " ms";
  }
  return line + "; systemd's watchdog is no longer fed";
}

}  // namespace ha::director
