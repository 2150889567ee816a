#include "director/ctl/ipvsadm_format.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <optional>
#include <tuple>
#include <vector>

#include "common/ip_address.h"
#include "director/ctl/health_format.h"

namespace ha::director {
namespace {

namespace pb = directord::admin;

// ipvsadm truncates IPv4 names to these widths (svc_name[33], dname[28]); IPv6 ones overflow.
constexpr size_t kServiceColumn = 33;
constexpr size_t kRealColumn = 28;
constexpr size_t kHealthColumn = 9;  // "inhibited"

[[gnu::format(printf, 1, 2)]] std::string cformat(const char* format, ...) {
  char buf[256];
  va_list args;
  va_start(args, format);
  int n = std::vsnprintf(buf, sizeof buf, format, args);
  va_end(args);
  if (n < 0) return {};
  return std::string(buf, std::min(static_cast<size_t>(n), sizeof buf - 1));
}

std::optional<IpAddress> addressOf(const std::string& text) { return IpAddress::parse(text); }

// "[v6]:port" or "v4:port" (or their names); an address the codec did not write is shown as given.
std::string endpointText(const std::string& address, uint32_t port, size_t truncateV4,
                         EndpointNames* names = nullptr, std::string_view protocol = {}) {
  auto parsed = addressOf(address);
  if (!parsed) return address + ":" + std::to_string(port);
  std::string text = names != nullptr ? names->name(*parsed, static_cast<uint16_t>(port), protocol)
                                      : formatEndpoint(*parsed, static_cast<uint16_t>(port));
  if (parsed->isV4() && text.size() > truncateV4) text.resize(truncateV4);
  return text;
}

// ipvs_cmp_services(): fwmark (address services first), family, protocol, address, port;
// groups (ours) after the address services. IpAddress orders v4 before v6.
auto serviceOrder(const pb::ServiceStatus& s) {
  return std::make_tuple(s.fwmark(), s.group(), addressOf(s.vip()).value_or(IpAddress{}).family(),
                         s.protocol(), addressOf(s.vip()).value_or(IpAddress{}), s.port());
}

// ipvs_cmp_dests(): address, then port.
auto realOrder(const pb::RealStatus& r) {
  return std::make_tuple(addressOf(r.address()).value_or(IpAddress{}), r.port());
}

std::string serviceName(const pb::ServiceStatus& s, EndpointNames* names = nullptr) {
  auto family = addressOf(s.vip());
  // ipvsadm's print_service_entry: "FWM  1", "FWM  1 IPv6".
  if (s.fwmark() != 0) {
    return "FWM  " + std::to_string(s.fwmark()) + (family && !family->isV4() ? " IPv6" : "");
  }
  // One block per virtual_server_group, its members on the next line (groupLine).
  if (!s.group().empty()) return s.protocol() + "  group " + s.group();
  std::string name =
      s.protocol() + "  " + endpointText(s.vip(), s.port(), SIZE_MAX, names, s.protocol());
  auto vip = addressOf(s.vip());
  if (vip && vip->isV4() && name.size() > kServiceColumn) name.resize(kServiceColumn);
  return name;
}

std::string padRight(std::string text, size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

std::string padLeft(const std::string& text, size_t width) {
  return text.size() < width ? std::string(width - text.size(), ' ') + text : text;
}

std::string realLine(const pb::RealStatus& r, const pb::ServiceStatus& s, EndpointNames* names) {
  // A real out of rotation shows weight 0, as keepalived's inhibit_on_failure leaves it in IPVS.
  uint32_t weight = r.in_rotation() ? r.weight() : 0;
  std::string fwd(forwardName(s.mode()));
  // ipvsadm's columns first, unchanged, so scripts that split them keep working.
  std::string ipvsadmColumns =
      cformat("  -> %-28s %-7s %-6u %-10" PRIu64 " %-10" PRIu64,
              endpointText(r.address(), r.port(), kRealColumn, names, s.protocol()).c_str(),
              fwd.c_str(), weight, r.active_conns(), r.inactive_conns());
  // The last-check text can outgrow cformat's buffer (an HTTP detail), so it is appended whole.
  // A trailing `*`: a runtime override (directorctl -a/-e), gone at the next reload.
  const bool overridden = r.runtime_added() || r.overrides_size() > 0;
  return ipvsadmColumns + " " + padRight(healthColumn(r), kHealthColumn) + " " +
         lastCheckColumn(r) + (overridden ? " *" : "") + "\n";
}

// keepalived adds the sorry server to IPVS while the quorum is lost; we route to it instead
// and have no per-real conntrack counts for it, so it is named rather than given columns.
std::string sorryLine(const pb::ServiceStatus& s) {
  return "  -> " + s.sorry_server() + " (sorry server, active)\n";
}

// keepalived hands IPVS one service per member; here the group is one service (one slot table,
// one set of counters), so its members are listed under it rather than repeated as services.
std::string groupLine(const pb::ServiceStatus& s) {
  std::string line = "  members:";
  for (const auto& m : s.members()) line += " " + m;
  return line + "\n";
}

std::string countersText(const pb::Counters& c, bool exact) {
  return formatLargeNumber(c.conns(), exact) + formatLargeNumber(c.in_packets(), exact) +
         formatLargeNumber(c.out_packets(), exact) + formatLargeNumber(c.in_bytes(), exact) +
         formatLargeNumber(c.out_bytes(), exact);
}

uint64_t wholeRate(double perSecond) {
  return perSecond > 0 ? static_cast<uint64_t>(std::llround(perSecond)) : 0;
}

std::string ratesText(const pb::Rates& r, bool exact) {
  return formatLargeNumber(wholeRate(r.conns_per_second()), exact) +
         formatLargeNumber(wholeRate(r.in_packets_per_second()), exact) +
         formatLargeNumber(wholeRate(r.out_packets_per_second()), exact) +
         formatLargeNumber(wholeRate(r.in_bytes_per_second()), exact) +
         formatLargeNumber(wholeRate(r.out_bytes_per_second()), exact);
}

}  // namespace

std::string serviceLine(const pb::ServiceStatus& s, EndpointNames* names) {
  std::string line = serviceName(s, names) + " " + s.scheduler();
  if (!s.scheduler_flags().empty()) {
    line += " (";
    for (int i = 0; i < s.scheduler_flags_size(); ++i) {
      if (i > 0) line += ",";
      line += s.scheduler_flags(i);
    }
    line += ")";
  }
  if (s.persistence_timeout() > 0) line += " persistent " + std::to_string(s.persistence_timeout());
  return line;
}

std::string realEndpoint(const pb::RealStatus& r) {
  return endpointText(r.address(), r.port(), kRealColumn);
}

std::vector<const pb::ServiceStatus*> sortedServices(const pb::ServiceList& list) {
  std::vector<const pb::ServiceStatus*> services;
  for (const auto& s : list.services()) services.push_back(&s);
  std::stable_sort(services.begin(), services.end(), [](const auto* a, const auto* b) {
    return serviceOrder(*a) < serviceOrder(*b);
  });
  return services;
}

std::vector<const pb::RealStatus*> sortedReals(const pb::ServiceStatus& service) {
  std::vector<const pb::RealStatus*> reals;
  for (const auto& r : service.reals()) reals.push_back(&r);
  std::stable_sort(reals.begin(), reals.end(),
                   [](const auto* a, const auto* b) { return realOrder(*a) < realOrder(*b); });
  return reals;
}

std::string_view forwardName(std::string_view mode) {
  if (mode == "NAT") return "Masq";
  if (mode == "DR") return "Route";
  if (mode == "TUN") return "Tunnel";
  if (mode == "FNAT") return "FullNat";
  return mode;
}

std::string formatLargeNumber(uint64_t n, bool exact) {
  if (exact) {
    std::string digits = std::to_string(n);
    return padLeft(digits, digits.size() <= 8 ? 9 : digits.size() + 1);
  }
  if (n < uint64_t{100000000}) return cformat("%9" PRIu64, n);
  if (n < uint64_t{1000000000}) return cformat("%8" PRIu64 "K", n / 1000);
  if (n < uint64_t{100000000000}) return cformat("%8" PRIu64 "M", n / 1000000);
  if (n < uint64_t{100000000000000}) return cformat("%8" PRIu64 "G", n / uint64_t{1000000000});
  return cformat("%8" PRIu64 "T", n / uint64_t{1000000000000});
}

std::string formatTimeouts(const pb::ServiceList& list) {
  const auto& t = list.timeouts();
  return "Timeout (tcp tcpfin udp): " + std::to_string(t.tcp()) + " " + std::to_string(t.tcpfin()) +
         " " + std::to_string(t.udp()) + "\n";
}

std::string formatServiceList(const pb::ServiceList& list, const ListFormat& format) {
  std::string out;
  if (format.banner) {
    out +=
        cformat("directord %.*s (nftables, hash seed 0x%08x)\n",
                static_cast<int>(format.version.size()), format.version.data(), list.hash_seed());
  }
  // ipvsadm gives --rate precedence when both are asked for (print_title tests FMT_RATE first).
  const bool numbers = format.rate || format.stats;
  if (format.rate) {
    out += cformat("%-33s %8s %8s %8s %8s %8s\n", "Prot LocalAddress:Port", "CPS", "InPPS",
                   "OutPPS", "InBPS", "OutBPS");
    out += "  -> RemoteAddress:Port\n";
  } else if (format.stats) {
    out += cformat("%-33s %8s %8s %8s %8s %8s\n", "Prot LocalAddress:Port", "Conns", "InPkts",
                   "OutPkts", "InBytes", "OutBytes");
    out += "  -> RemoteAddress:Port\n";
  } else {
    out += "Prot LocalAddress:Port Scheduler Flags\n";
    out +=
        "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn  Health    "
        "LastCheck\n";
  }

  for (const pb::ServiceStatus* s : sortedServices(list)) {
    const std::vector<const pb::RealStatus*> reals = sortedReals(*s);
    if (numbers) {
      auto columns = [&](const auto& status) {
        return format.rate ? ratesText(status.rates(), format.exact)
                           : countersText(status.counters(), format.exact);
      };
      out += padRight(serviceName(*s, format.names), kServiceColumn) + columns(*s) + "\n";
      for (const pb::RealStatus* r : reals) {
        out += "  -> " +
               padRight(
                   endpointText(r->address(), r->port(), kRealColumn, format.names, s->protocol()),
                   kRealColumn) +
               columns(*r) + "\n";
      }
    } else {
      // Trailing words, as ipvsadm adds "persistent N": a line-per-service parser still works.
      const bool overridden = s->runtime_added() || s->overrides_size() > 0;
      out += serviceLine(*s, format.names) + (s->quorum_lost() ? " (quorum lost)" : "") +
             (overridden ? " *" : "") + "\n";
      if (!s->group().empty()) out += groupLine(*s);
      for (const pb::RealStatus* r : reals) out += realLine(*r, *s, format.names);
      if (s->sorry_active() && !s->sorry_server().empty()) out += sorryLine(*s);
    }
  }
  return out;
}

}  // namespace ha::director
