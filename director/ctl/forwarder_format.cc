#include "director/ctl/forwarder_format.h"

#include <cstdio>
#include <map>
#include <sstream>

namespace ha::director {
namespace {

std::string age(uint64_t ms) {
  if (ms < 10'000) return std::to_string(ms) + " ms ago";
  if (ms < 600'000) return std::to_string(ms / 1000) + " s ago";
  return std::to_string(ms / 60'000) + " min ago";
}

std::string milliseconds(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f ms", ms);
  return buf;
}

}  // namespace

bool forwarderDegraded(const directord::admin::ForwarderReply& reply) {
  return reply.repair_pending() || !reply.last_repair_error().empty();
}

std::string formatForwarder(const directord::admin::ForwarderReply& s) {
  std::ostringstream out;
  out << "Tables:";
  if (s.tables().empty()) out << " (none)";
  for (const auto& t : s.tables()) out << " " << t << ";";
  out << "\n";
  out << "Owner: " << s.owner_in_kernel();
  if (s.owner_in_kernel() != s.owner_wanted())
    out << " (asked for " << s.owner_wanted() << "; this kernel accepts less)";
  if (s.owner_in_kernel() == "none") {
    out << " -- anyone may change them; drift is repaired";
  } else {
    out << " -- only this process may change them";
  }
  out << "\n";
  out << "Drift: "
      << (s.watching() ? "watched" : "NOT watched (nf_tables notifications unavailable)") << ", "
      << s.drifts() << " seen, " << s.repairs() << " repaired, " << s.repair_failures()
      << " repairs failed";
  if (s.repair_pending()) out << ", repair pending";
  out << "\n";
  if (!s.last_drift().empty()) {
    out << "Last drift: " << s.last_drift();
    if (s.has_last_drift_age_ms()) out << ", " << age(s.last_drift_age_ms());
    if (s.has_last_repair_ms())
      out << "; tables back " << milliseconds(s.last_repair_ms()) << " after it";
    out << "\n";
  }
  if (!s.last_repair_error().empty())
    out << "Last repair failed: " << s.last_repair_error() << "\n";
  out << "Cross-thread waits past their deadline: " << s.cross_thread_timeouts() << "\n";
  if (!s.datapath_error().empty())
    out << "eBPF datapath: counters unreadable: " << s.datapath_error() << "\n";
  if (!s.datapath_loaded()) {
    out << "eBPF datapath: not loaded (no TUN or client_address toa service)\n";
    return out.str();
  }
  out << "eBPF datapath: attached to";
  if (s.datapath_devices().empty()) out << " no device";
  for (const auto& d : s.datapath_devices()) out << " " << d;
  out << " (tcx ingress)\n";
  // Sorted by name, one per line: "  tun_encapsulated 1234".
  std::map<std::string, uint64_t> counters(s.datapath_counters().begin(),
                                           s.datapath_counters().end());
  for (const auto& [name, value] : counters) out << "  " << name << " " << value << "\n";
  return out.str();
}

}  // namespace ha::director
