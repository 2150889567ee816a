#include "director/admin/forwarder_format.h"

#include <cstdio>
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

bool forwarderDegraded(const ForwarderStatus& status) {
  return status.repairPending || !status.lastRepairError.empty();
}

std::string formatForwarder(const ForwarderStatus& s) {
  std::ostringstream out;
  out << "Tables:";
  if (s.tables.empty()) out << " (none)";
  for (const auto& t : s.tables) out << " " << t << ";";
  out << "\n";
  out << "Owner: " << s.ownerInKernel;
  if (s.ownerInKernel != s.ownerWanted)
    out << " (asked for " << s.ownerWanted << "; this kernel accepts less)";
  if (s.ownerInKernel == "none") {
    out << " -- anyone may change them; drift is repaired";
  } else {
    out << " -- only this process may change them";
  }
  out << "\n";
  out << "Drift: " << (s.watching ? "watched" : "NOT watched (nf_tables notifications unavailable)")
      << ", " << s.drifts << " seen, " << s.repairs << " repaired, " << s.repairFailures
      << " repairs failed";
  if (s.repairPending) out << ", repair pending";
  out << "\n";
  if (!s.lastDrift.empty()) {
    out << "Last drift: " << s.lastDrift;
    if (s.lastDriftAgeMs) out << ", " << age(*s.lastDriftAgeMs);
    if (s.lastRepairMs) out << "; tables back " << milliseconds(*s.lastRepairMs) << " after it";
    out << "\n";
  }
  if (!s.lastRepairError.empty()) out << "Last repair failed: " << s.lastRepairError << "\n";
  out << "Cross-thread waits past their deadline: " << s.crossThreadTimeouts << "\n";
  return out.str();
}

}  // namespace ha::director
