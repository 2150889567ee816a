#include "director/ctl/health_format.h"

#include <algorithm>
#include <string_view>
#include <vector>

#include "director/ctl/ipvsadm_format.h"

namespace ha::director {
namespace {

namespace pb = directord::admin;

bool isDown(const pb::RealStatus& r) { return r.health() == "down" || r.health() == "inhibited"; }

bool probed(const pb::CheckerStatus& c) {
  return c.last_outcome() != pb::CheckerStatus::OUTCOME_NOT_PROBED;
}

// The most recently probed checker that `wanted` accepts, or null.
template <typename Predicate>
const pb::CheckerStatus* latestProbed(const pb::RealStatus& r, Predicate wanted) {
  const pb::CheckerStatus* latest = nullptr;
  for (const pb::CheckerStatus& c : r.checkers()) {
    if (!probed(c) || !wanted(c)) continue;
    if (latest == nullptr || c.last_age_ms() < latest->last_age_ms()) latest = &c;
  }
  return latest;
}

std::string checkerName(const pb::CheckerStatus& c) { return c.kind() + " " + c.target(); }

std::string plural(uint64_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

std::string twoDigits(uint64_t n) { return (n < 10 ? "0" : "") + std::to_string(n); }

std::string downText(const pb::RealStatus& r) {
  const pb::CheckerStatus* failing =
      latestProbed(r, [](const pb::CheckerStatus& c) { return !c.up(); });
  const pb::CheckerStatus* latest =
      failing != nullptr ? failing : latestProbed(r, [](auto&) { return true; });
  std::string text = r.reason();
  if (text.empty()) {
    text = failing != nullptr ? checkerName(*failing) + ": " + failing->last_detail() : "down";
  }
  // Down before any probe answered: alpha (down until proven up), or the first run in flight.
  if (latest == nullptr) return text;
  return text + " " + formatAge(latest->last_age_ms());
}

// The real is up, but its newest failure says a retry is pending (the tracker has not fallen).
std::string upText(const pb::RealStatus& r) {
  const pb::CheckerStatus* failed = latestProbed(r, [](const pb::CheckerStatus& c) {
    return c.last_outcome() == pb::CheckerStatus::OUTCOME_FAILED;
  });
  if (failed != nullptr) {
    return "failed, retrying: " + checkerName(*failed) + ": " + failed->last_detail() + " " +
           formatAge(failed->last_age_ms());
  }
  const pb::CheckerStatus* latest = latestProbed(r, [](auto&) { return true; });
  if (latest == nullptr) return "not probed yet";
  return "ok " + formatAge(latest->last_age_ms());
}

// "weight 0 (configured 1)": the weight the forwarder uses, as `list` shows it.
std::string weightText(const pb::RealStatus& r) {
  const uint32_t weight = r.in_rotation() ? r.weight() : 0;
  std::string text = "weight " + std::to_string(weight);
  if (r.has_dynamic_weight()) {
    text += " (misc_dynamic " + std::to_string(r.dynamic_weight()) + ", configured " +
            std::to_string(r.configured_weight()) + ")";
  } else if (weight != r.configured_weight()) {
    text += " (configured " + std::to_string(r.configured_weight()) + ")";
  }
  return text;
}

std::string lastResultText(const pb::CheckerStatus& c) {
  switch (c.last_outcome()) {
    case pb::CheckerStatus::OUTCOME_PASSED:
      return "last passed " + formatAge(c.last_age_ms());
    case pb::CheckerStatus::OUTCOME_FAILED:
      return "last failed " + formatAge(c.last_age_ms()) + ": " + c.last_detail();
    default:
      return "not probed yet";
  }
}

// Sorted by name: a proto map iterates in no particular order.
std::string failuresText(const pb::CheckerStatus& c) {
  std::string text = "failures " + std::to_string(c.failures());
  if (c.failures_by_reason().empty()) return text;
  std::vector<std::pair<std::string, uint64_t>> reasons(c.failures_by_reason().begin(),
                                                        c.failures_by_reason().end());
  std::sort(reasons.begin(), reasons.end());
  text += " (";
  for (size_t i = 0; i < reasons.size(); ++i) {
    text += (i > 0 ? " " : "") + reasons[i].first + "=" + std::to_string(reasons[i].second);
  }
  return text + ")";
}

std::string checkerBlock(const pb::CheckerStatus& c) {
  std::string out = "     " + checkerName(c) + ": " + (c.up() ? "up" : "down") +
                    (c.shared() ? ", shared" : "") + ", " + lastResultText(c) + "\n";
  out += "       probes " + std::to_string(c.probes()) + ", " + failuresText(c);
  // Held because our own conntrack table could not take the probe (directorctl conntrack).
  if (c.inconclusive() > 0) out += ", inconclusive " + std::to_string(c.inconclusive());
  out += ", latency ";
  if (c.probes() == 0) return out + "-\n";
  return out + "last/mean/max " + formatMillis(c.latency_last_us()) + "/" +
         formatMillis(c.latency_mean_us()) + "/" + formatMillis(c.latency_max_us()) + " ms\n";
}

std::string realBlock(const pb::RealStatus& r) {
  if (r.checkers().empty() && !isDown(r)) {
    return "  -> " + realEndpoint(r) + " no checkers: " + weightText(r) + "\n";
  }
  std::string out = "  -> " + realEndpoint(r) + " " + r.health() + ": " + weightText(r) + ", " +
                    plural(r.transitions(), "transition", "transitions");
  if (r.has_changed_age_ms()) out += ", changed " + formatAge(r.changed_age_ms());
  out += "\n";
  if (isDown(r) && !r.reason().empty()) out += "     reason: " + r.reason() + "\n";
  for (const pb::CheckerStatus& c : r.checkers()) out += checkerBlock(c);
  return out;
}

}  // namespace

std::string healthColumn(const pb::RealStatus& real) {
  return real.health().empty() ? "-" : real.health();
}

std::string lastCheckColumn(const pb::RealStatus& real) {
  if (isDown(real)) return downText(real);
  if (real.checkers().empty()) return "-";
  return upText(real);
}

std::string formatHealth(const pb::ServiceList& list) {
  std::string out;
  for (const pb::ServiceStatus* s : sortedServices(list)) {
    out += serviceLine(*s) + (s->quorum_lost() ? " (quorum lost)" : "") + "\n";
    for (const pb::RealStatus* r : sortedReals(*s)) out += realBlock(*r);
    if (!s->sorry_server().empty()) {
      out += "  sorry server " + s->sorry_server() + ": " +
             (s->sorry_active() ? "active" : "standby") + "\n";
    }
  }
  out += "probes: " + std::to_string(list.distinct_probes()) +
         " distinct (identical probes run once), " + std::to_string(list.probes_run()) + " run, " +
         std::to_string(list.probes_in_flight()) + " in flight\n";
  return out;
}

std::string formatAge(uint64_t ms) {
  const uint64_t seconds = ms / 1000;
  if (seconds < 60) {
    return std::to_string(seconds) + "." + std::to_string(ms % 1000 / 100) + "s ago";
  }
  if (seconds < 3600) return std::to_string(seconds / 60) + "m" + twoDigits(seconds % 60) + "s ago";
  if (seconds < 86400) {
    return std::to_string(seconds / 3600) + "h" + twoDigits(seconds % 3600 / 60) + "m ago";
  }
  return std::to_string(seconds / 86400) + "d" + twoDigits(seconds % 86400 / 3600) + "h ago";
}

std::string formatMillis(uint64_t us) {
  const uint64_t tenths = (us + 50) / 100;  // rounded to the nearest 0.1 ms
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10);
}

}  // namespace ha::director
