#include "director/ctl/sync_format.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <sstream>

namespace ha::director {
namespace {

std::string ms(const std::optional<double>& value) {
  if (!value) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", *value);
  return buf;
}

std::string lag(const sync::PeerSnapshot& p) {
  if (!p.lagP50Ms && !p.lagP99Ms) return "-";
  return ms(p.lagP50Ms) + "/" + ms(p.lagP99Ms);
}

const char* up(bool on) { return on ? "up" : "down"; }

// Every reason, in the catalog's order, so columns of numbers line up run after run.
std::string rejections(const sync::PeerSnapshot& p) {
  std::string out;
  for (size_t r = 0; r < p.rejectedBy.size(); ++r) {
    out += (out.empty() ? "" : ", ") +
           std::string(sync::rejectionName(static_cast<sync::Rejection>(r))) + " " +
           std::to_string(p.rejectedBy[r]);
  }
  return out;
}

std::string bulksIn(const sync::PeerSnapshot& p) {
  std::string out = "bulks " + std::to_string(p.bulksReceived);
  if (p.bulksReceived == 0 && !p.bulkComplete) return out;
  return out + " (" + (p.bulkComplete ? "complete" : "incomplete") + ", last " +
         ms(p.lastBulkReceivedMs) + " ms)";
}

}  // namespace

std::string formatSync(const sync::SyncSnapshot& s) {
  if (!s.enabled) return "Connection sync: disabled\n";
  std::ostringstream out;
  out << "Connection sync: node " << s.node << ", listening " << s.listen << ", "
      << (s.ready ? "ready" : "waiting for peers' bulks") << "\n";
  out << "  events " << s.events << " (overruns " << s.overruns << "), local flows " << s.localFlows
      << ", kernel failures " << s.kernelFailures << ", taught copies pruned "
      << s.provenanceReconciled << "\n";
  out << "  incoming streams refused " << s.transport.refusedStreams << ", hello timeouts "
      << s.transport.helloTimeouts << ", over cap " << s.transport.overCapStreams << ", reset "
      << s.transport.resetStreams << "\n";
  if (s.peers.empty()) {
    out << "no peers\n";
    return out.str();
  }
  int nameWidth = 4, addressWidth = 7;
  for (const auto& p : s.peers) {
    nameWidth = std::max(nameWidth, static_cast<int>(p.name.size()));
    addressWidth = std::max(addressWidth, static_cast<int>(p.address.size()));
  }
  char line[512];
  std::snprintf(line, sizeof line, "%-*s  %-*s  %-4s %-4s %10s %10s %8s %8s %9s %8s %14s %8s\n",
                nameWidth, "Peer", addressWidth, "Address", "Out", "In", "Sent", "Acked", "Queue",
                "InFlight", "Coalesced", "Dropped", "Lag p50/p99 ms", "Bulk ms");
  out << line;
  for (const auto& p : s.peers) {
    std::snprintf(
        line, sizeof line, "%-*s  %-*s  %-4s %-4s %10llu %10llu %8llu %8llu %9llu %8llu %14s %8s\n",
        nameWidth, p.name.c_str(), addressWidth, p.address.c_str(), up(p.outgoingUp),
        up(p.incomingUp), static_cast<unsigned long long>(p.sent),
        static_cast<unsigned long long>(p.acked), static_cast<unsigned long long>(p.queueDepth),
        static_cast<unsigned long long>(p.inFlight), static_cast<unsigned long long>(p.coalesced),
        static_cast<unsigned long long>(p.dropped), lag(p).c_str(), ms(p.lastBulkSentMs).c_str());
    out << line;
    out << "  out: bulks " << p.bulksSent << ", dials " << p.dials << ", lag last "
        << ms(p.lagLastMs) << " ms";
    if (!p.lastError.empty()) out << ", last error: " << p.lastError;
    out << "\n";
    out << "  in: received " << p.received << ", applied " << p.applied << ", rejected "
        << p.rejected << " (" << rejections(p) << "), clamped " << p.clamped << ", taught "
        << p.taught << ", malformed " << p.malformed << ", resets " << p.resets << ", "
        << bulksIn(p) << "\n";
  }
  return out.str();
}

}  // namespace ha::director
