#include "director/node/keepalived_dump.h"

#include <cstdio>
#include <ctime>
#include <map>
#include <sstream>
#include <vector>

namespace ha::director {
namespace {

using SystemTime = std::chrono::system_clock::time_point;

constexpr std::string_view kTopSeparator = "------< ";
constexpr std::string_view kEndSeparator = " >------\n";

void section(std::ostringstream& out, std::string_view name) {
  out << kTopSeparator << name << kEndSeparator;
}

// keepalived's "1673674892.348360 (Sat Jan 14 06:41:32.348360 2023)", in UTC.
std::string stamp(SystemTime at) {
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch()).count();
  const auto seconds = static_cast<time_t>(us / 1000000);
  const auto micros = static_cast<long>(us % 1000000);
  tm parts{};
  gmtime_r(&seconds, &parts);
  char date[64];
  std::strftime(date, sizeof date, "%a %b %e %H:%M:%S", &parts);
  char year[8];
  std::strftime(year, sizeof year, "%Y", &parts);
  char line[128];
  std::snprintf(line, sizeof line, "%lld.%06ld (%s.%06ld %s UTC)", static_cast<long long>(seconds),
                micros, date, micros, year);
  return line;
}

long long milliseconds(Duration d) {
  return static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

uint64_t dropped(const vrrp::InstanceCounters& c, vrrp::DropReason reason) {
  return c.dropped[static_cast<size_t>(reason)];
}

void vrrpTopology(std::ostringstream& out, const Result<vrrp::RouterSnapshot>& vrrp) {
  section(out, "VRRP Topology");
  if (!vrrp) {
    out << " Not answered = " << vrrp.error() << "\n";
    return;
  }
  for (const auto& i : vrrp->instances) {
    out << " VRRP Instance = " << i.name << "\n";
    out << "   VRRP Version = " << static_cast<int>(i.version) << "\n";
    out << "   State = " << vrrp::stateName(i.state) << "\n";
    if (!i.fault.empty()) out << "   Fault = " << i.fault << "\n";
    if (i.transitions != 0) {
      out << "   Last transition = " << stamp(i.lastTransitionAt) << "\n";
      out << "   Last transition reason = " << i.lastTransition << "\n";
    }
    out << "   Number of transitions = " << i.transitions << "\n";
    out << "   Interface = " << i.interface << "\n";
    out << "   Using src_ip = " << i.source.str() << "\n";
    out << "   Master router = " << (i.master ? i.master->str() : std::string("unknown")) << "\n";
    if (!i.syncGroup.empty()) out << "   Sync group = " << i.syncGroup << "\n";
    out << "   Virtual Router ID = " << static_cast<int>(i.vrid) << "\n";
    out << "   Priority = " << static_cast<int>(i.basePriority) << "\n";
    out << "   Effective priority = " << static_cast<int>(i.effectivePriority) << "\n";
    out << "   Advert interval = " << milliseconds(i.advertInterval) << " milli-sec\n";
    out << "   Master advert interval = " << milliseconds(i.masterAdverInterval) << " milli-sec\n";
    if (i.trackSync) {
      out << "   Track sync = "
          << (i.waitingForSync ? "waiting for the bulk (no preemption)" : "ready") << "\n";
    }
    // Last in the block: keepalived-exporter reads every deeper line that follows as an address.
    out << "   Virtual IP (" << i.addresses.size() << "):\n";
    for (const auto& a : i.addresses) out << "     " << a << " scope global\n";
  }
  std::map<std::string, std::vector<const vrrp::InstanceStatus*>> groups;
  for (const auto& i : vrrp->instances) {
    if (!i.syncGroup.empty()) groups[i.syncGroup].push_back(&i);
  }
  if (groups.empty()) return;
  section(out, "VRRP Sync groups");
  for (const auto& [name, members] : groups) {
    out << " VRRP Sync Group = " << name << ", " << vrrp::stateName(members.front()->state) << "\n";
    for (const auto* m : members) out << "   monitor = " << m->name << "\n";
  }
}

std::string realLine(const RealSnapshot& r) {
  std::string line = r.real.endpoint.str() + " weight " + std::to_string(r.real.weight);
  if (r.real.weight != r.real.configuredWeight)
    line += " (configured " + std::to_string(r.real.configuredWeight) + ")";
  return line;
}

void lvsTopology(std::ostringstream& out, const Result<DirectorSnapshot>& director) {
  section(out, "LVS Topology");
  if (!director) {
    out << " Not answered = " << director.error() << "\n";
    return;
  }
  out << " Hash seed = " << director->hashSeed << "\n";
  out << " Health probes = " << director->distinctProbes << " distinct, " << director->probesRun
      << " run, " << director->probesInFlight << " in flight\n";
  for (const auto& s : director->services) {
    const auto& p = s.plan;
    out << " Virtual Server = " << p.key.str() << "\n";
    out << "   lb_algo = " << p.scheduler << "\n";
    out << "   lb_kind = " << forwardModeName(p.mode) << "\n";
    out << "   persistence_timeout = " << p.persistenceTimeoutSec << "\n";
    if (!s.laddrGroup.empty()) out << "   laddr_group_name = " << s.laddrGroup << "\n";
    out << "   Quorum = " << (p.quorumUp ? "up" : "down") << "\n";
    if (p.sorryServer) {
      out << "   sorry_server = " << p.sorryServer->str()
          << (p.sorryActive ? " (active)" : " (standby)") << "\n";
    }
    out << "   Connections = " << s.counters.conns << ", packets in/out = " << s.counters.inPackets
        << "/" << s.counters.outPackets << ", bytes in/out = " << s.counters.inBytes << "/"
        << s.counters.outBytes << "\n";
    for (const auto& r : s.reals) {
      out << "   Real Server = " << realLine(r) << "\n";
      out << "     Alive = " << (r.real.healthy ? "yes" : "no")
          << (r.real.inRotation ? "" : ", not in rotation") << "\n";
      if (!r.real.healthy && !r.real.healthReason.empty())
        out << "     Reason = " << r.real.healthReason << "\n";
      out << "     ActiveConn = " << r.activeConns << ", InActConn = " << r.inactiveConns
          << ", connections = " << r.counters.conns << "\n";
      if (!r.health) continue;
      for (const auto& c : r.health->checkers) {
        out << "     Checker = " << c.kind << " " << c.target << ": " << (c.up ? "up" : "down")
            << ", probes " << c.probes << ", failures " << c.failures;
        if (!c.lastDetail.empty()) out << ", last failure: " << c.lastDetail;
        out << "\n";
      }
    }
  }
}

std::string optionalMs(const std::optional<double>& ms) {
  if (!ms) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f ms", *ms);
  return buf;
}

void connectionSync(std::ostringstream& out, const Result<sync::SyncSnapshot>& sync) {
  section(out, "Connection sync");
  if (!sync) {
    out << " Not answered = " << sync.error() << "\n";
    return;
  }
  if (!sync->enabled) {
    out << " Connection sync = disabled\n";
    return;
  }
  out << " Connection sync = " << sync->node << "\n";
  out << "   Listen = " << sync->listen << "\n";
  out << "   Ready = " << (sync->ready ? "yes" : "no") << "\n";
  out << "   Local flows = " << sync->localFlows << ", events = " << sync->events
      << ", overruns = " << sync->overruns << "\n";
  for (const auto& p : sync->peers) {
    out << " Sync peer = " << p.name << "\n";
    out << "   Address = " << p.address << "\n";
    out << "   Outgoing stream = " << (p.outgoingUp ? "up" : "down")
        << ", incoming stream = " << (p.incomingUp ? "up" : "down") << "\n";
    out << "   Sent = " << p.sent << ", acked = " << p.acked << ", queue = " << p.queueDepth
        << ", in flight = " << p.inFlight << ", dropped = " << p.dropped << "\n";
    out << "   Lag p50 = " << optionalMs(p.lagP50Ms) << ", p99 = " << optionalMs(p.lagP99Ms)
        << "\n";
    out << "   Received = " << p.received << ", applied = " << p.applied
        << ", rejected = " << p.rejected << "\n";
    if (!p.lastError.empty()) out << "   Last error = " << p.lastError << "\n";
  }
}

}  // namespace

std::string dataDumpText(const DumpInputs& inputs) {
  std::ostringstream out;
  section(out, "directord");
  out << " Dump time = " << stamp(inputs.now) << "\n";
  vrrpTopology(out, inputs.vrrp);
  lvsTopology(out, inputs.director);
  connectionSync(out, inputs.sync);
  return out.str();
}

std::string statsDumpText(const Result<vrrp::RouterSnapshot>& vrrp) {
  using vrrp::DropReason;
  std::ostringstream out;
  if (!vrrp) {
    out << "Not answered: " << vrrp.error() << "\n";
    return out.str();
  }
  // keepalived.stats' layout (vrrp_print_stats); every value an integer, which keepalived-exporter
  // requires of each line. Counters keepalived lacks are extra keys in the same sections.
  for (const auto& i : vrrp->instances) {
    const auto& c = i.counters;
    out << "VRRP Instance: " << i.name << "\n";
    out << "  Advertisements:\n";
    out << "    Received: " << c.advertsReceived << "\n";
    out << "    Sent: " << c.advertsSent << "\n";
    out << "  Transitions: " << i.transitions << "\n";
    out << "  Send errors: " << c.sendErrors << "\n";
    out << "  Packet Errors:\n";
    out << "    Length: " << dropped(c, DropReason::kTooShort) + dropped(c, DropReason::kTooLong)
        << "\n";
    out << "    TTL: " << dropped(c, DropReason::kBadTtl) << "\n";
    out << "    Invalid Type: " << dropped(c, DropReason::kBadType) << "\n";
    out << "    Advertisement Interval: " << dropped(c, DropReason::kIntervalMismatch) << "\n";
    out << "    Address List: " << dropped(c, DropReason::kAddressCount) + c.addressListMismatch
        << "\n";
    out << "    Checksum: " << dropped(c, DropReason::kBadChecksum) << "\n";
    out << "    Version: "
        << dropped(c, DropReason::kBadVersion) + dropped(c, DropReason::kVersionMismatch) << "\n";
    out << "    Not Unicast Peer: " << dropped(c, DropReason::kNotUnicastPeer) << "\n";
    // RFC 3768 PASS auth: a wrong type and a wrong password are one drop reason here.
    out << "  Authentication Errors:\n";
    out << "    Invalid Type: 0\n";
    out << "    Type Mismatch: 0\n";
    out << "    Failure: " << dropped(c, DropReason::kAuthMismatch) << "\n";
    out << "  Priority Zero:\n";
    out << "    Received: " << c.priorityZeroReceived << "\n";
    out << "    Sent: " << c.priorityZeroSent << "\n";
  }
  return out.str();
}

}  // namespace ha::director
