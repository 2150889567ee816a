#include "director/ctl/vrrp_format.h"

#include <cstdio>
#include <sstream>

namespace ha::director {
namespace {

namespace pb = directord::admin;

std::string ago(int64_t thenMs, int64_t nowMs) {
  if (thenMs <= 0) return "never";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs ago", static_cast<double>(nowMs - thenMs) / 1000.0);
  return buf;
}

std::string drops(const google::protobuf::RepeatedPtrField<pb::DropCount>& dropped) {
  if (dropped.empty()) return "none";
  std::string out;
  for (const auto& d : dropped) {
    out += (out.empty() ? "" : ", ") + d.reason() + " " + std::to_string(d.count());
  }
  return out;
}

}  // namespace

std::string formatVrrp(const pb::VrrpList& list, int64_t nowUnixMs) {
  std::ostringstream out;
  if (list.instances().empty()) {
    out << "no VRRP instances configured\n";
    return out.str();
  }
  char line[256];
  std::snprintf(line, sizeof line, "%-12s %-10s %4s %3s %-7s %9s %-24s %5s\n", "Instance",
                "Interface", "VRID", "Ver", "State", "Prio", "Master", "Trans");
  out << line;
  for (const auto& i : list.instances()) {
    std::string prio = std::to_string(i.effective_priority());
    if (i.effective_priority() != i.base_priority()) {
      prio += "(" + std::to_string(i.base_priority()) + ")";
    }
    std::string master = i.master().empty() ? "-" : i.master();
    if (!i.master().empty() && i.master() == i.source()) master += " (us)";
    std::snprintf(line, sizeof line, "%-12s %-10s %4u %3u %-7s %9s %-24s %5llu\n", i.name().c_str(),
                  i.interface().c_str(), i.vrid(), i.version(), i.state().c_str(), prio.c_str(),
                  master.c_str(), static_cast<unsigned long long>(i.transitions()));
    out << line;
    out << "  advert " << i.advert_interval_ms() << " ms (master's " << i.master_adver_interval_ms()
        << " ms), source " << i.source();
    if (!i.sync_group().empty()) out << ", sync group " << i.sync_group();
    out << "\n";
    if (!i.fault().empty()) out << "  fault: " << i.fault() << "\n";
    if (i.track_sync()) {
      out << "  sync: " << (i.waiting_for_sync() ? "waiting for bulk (no preemption)" : "ready")
          << "\n";
    }
    if (i.transitions() > 0) {
      out << "  last: " << i.last_transition() << " ("
          << ago(i.last_transition_unix_ms(), nowUnixMs) << ")\n";
    }
    out << "  addresses:";
    for (const auto& a : i.addresses()) out << " " << a;
    out << "\n";
    out << "  adverts: sent " << i.adverts_sent() << " (priority 0: " << i.priority_zero_sent()
        << "), received " << i.adverts_received() << " (priority 0: " << i.priority_zero_received()
        << ")";
    if (i.send_errors() > 0) out << ", send errors " << i.send_errors();
    if (i.address_list_mismatch() > 0)
      out << ", address list mismatch " << i.address_list_mismatch();
    out << "\n";
    out << "  dropped: " << drops(i.dropped()) << "\n";
  }
  out << "packets received " << list.received()
      << ", not tied to an instance: " << drops(list.unattributed()) << "\n";
  return out.str();
}

}  // namespace ha::director
