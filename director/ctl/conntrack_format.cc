#include "director/ctl/conntrack_format.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <string_view>
#include <vector>

#include "director/ctl/health_format.h"

namespace ha::director {
namespace {

// `conntrack -S`'s order; names a newer directord adds follow, sorted.
constexpr std::array<std::string_view, 10> kOrder = {
    "found",      "invalid", "insert",         "insert_failed", "drop",
    "early_drop", "error",   "search_restart", "clash_resolve", "chaintoolong"};

std::string counters(const google::protobuf::Map<std::string, uint64_t>& map) {
  std::vector<std::string> names;
  for (std::string_view n : kOrder) {
    if (map.count(std::string(n)) != 0) names.emplace_back(n);
  }
  std::vector<std::string> others;
  for (const auto& [name, value] : map) {
    if (std::find(kOrder.begin(), kOrder.end(), name) == kOrder.end()) others.push_back(name);
  }
  std::sort(others.begin(), others.end());
  names.insert(names.end(), others.begin(), others.end());
  std::string out;
  for (const auto& n : names)
    out += (out.empty() ? "" : ", ") + n + " " + std::to_string(map.at(n));
  return out.empty() ? "-" : out;
}

}  // namespace

std::string formatConntrack(const directord::admin::ConntrackReply& r) {
  if (!r.available()) {
    return "conntrack: statistics unavailable" +
           (r.error().empty() ? std::string() : ": " + r.error()) + "\n";
  }
  char usage[64];
  std::snprintf(
      usage, sizeof usage, "%.1f%%",
      r.max() == 0 ? 0.0 : 100.0 * static_cast<double>(r.entries()) / static_cast<double>(r.max()));
  std::string out = "conntrack: entries " + std::to_string(r.entries()) + ", max " +
                    std::to_string(r.max()) + " (" + usage +
                    "); pressure: " + (r.pressure().empty() ? "none" : r.pressure()) + "\n";
  out += "  kernel:      " + counters(r.kernel()) + "\n";
  out += "  since start: " + counters(r.since_start()) + "\n";
  out += "  pressure episodes " + std::to_string(r.pressure_episodes()) + ", last drop " +
         (r.has_last_drop_age_ms() ? formatAge(r.last_drop_age_ms()) : std::string("never")) +
         ", inconclusive " + std::to_string(r.inconclusive_results()) + " health results held";
  if (r.has_sample_age_ms()) out += ", sampled " + formatAge(r.sample_age_ms());
  if (!r.error().empty()) out += "\n  last read failed: " + r.error();
  return out + "\n";
}

}  // namespace ha::director
