#include "director/node/host_checks.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <set>

namespace ha::director {
namespace {

// Paths under /proc/sys: an interface name may contain dots, so keys are never dotted.
constexpr const char* kIpForward = "net/ipv4/ip_forward";
constexpr const char* kIp6Forward = "net/ipv6/conf/all/forwarding";
constexpr const char* kConntrackMax = "net/netfilter/nf_conntrack_max";
constexpr const char* kEstablished = "net/netfilter/nf_conntrack_tcp_timeout_established";
constexpr const char* kTcpLoose = "net/netfilter/nf_conntrack_tcp_loose";
constexpr const char* kAllRpFilter = "net/ipv4/conf/all/rp_filter";

std::string rpFilterPath(const std::string& dev) { return "net/ipv4/conf/" + dev + "/rp_filter"; }
// sysctl(8) writes a dot inside an interface name as a slash ("eth0/100" for eth0.100).
std::string sysctlDev(std::string dev) {
  std::replace(dev.begin(), dev.end(), '.', '/');
  return dev;
}

bool natLike(const VirtualServerConfig& vs) {
  return vs.mode == ForwardMode::kNat || vs.mode == ForwardMode::kFullNat;
}

// The devices DR services take their VIPs on: the static_ipaddress or VRRP address holding it.
std::set<std::string> drDevices(const Config& config) {
  std::set<std::string> devices;
  for (const auto& vs : config.virtualServers) {
    if (vs.mode != ForwardMode::kDr) continue;
    for (const auto& sa : config.staticAddresses) {
      if (sa.prefix.address == vs.vip) devices.insert(sa.dev);
    }
    for (const auto& instance : config.vrrp.instances) {
      for (const auto& a : instance.addresses) {
        if (a.prefix.address == vs.vip) devices.insert(a.dev.empty() ? instance.interface : a.dev);
      }
    }
  }
  return devices;
}

std::optional<uint64_t> number(const SysctlValues& values, const std::string& name) {
  auto it = values.find(name);
  if (it == values.end()) return std::nullopt;
  uint64_t value = 0;
  const auto& text = it->second;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string servicesOf(const Config& config, bool v6) {
  std::string names;
  size_t n = 0;
  for (const auto& vs : config.virtualServers) {
    if (!natLike(vs) || vs.vip.isV4() == v6) continue;
    if (++n <= 3)
      names += (names.empty() ? "" : ", ") + std::string(protocolName(vs.protocol)) + " " +
               formatEndpoint(vs.vip, vs.port);
  }
  if (n > 3) names += " and " + std::to_string(n - 3) + " more";
  return names;
}

}  // namespace

std::vector<std::string> wantedSysctls(const Config& config) {
  std::vector<std::string> names = {kIpForward, kIp6Forward, kConntrackMax, kEstablished,
                                    kTcpLoose};
  for (const auto& dev : drDevices(config)) names.push_back(rpFilterPath(dev));
  if (!drDevices(config).empty()) names.emplace_back(kAllRpFilter);
  return names;
}

std::vector<std::string> hostWarnings(const Config& config, const SysctlValues& values) {
  std::vector<std::string> out;
  bool nat4 = false, nat6 = false;
  uint64_t conntrackReals = 0;
  uint32_t longestPersistence = 0;
  for (const auto& vs : config.virtualServers) {
    if (natLike(vs)) (vs.vip.isV4() ? nat4 : nat6) = true;
    // NAT and FULLNAT flows live in conntrack; DR flows too (the director tracks what it steers).
    conntrackReals += vs.reals.size();
    longestPersistence = std::max(longestPersistence, vs.persistenceTimeoutSec.value_or(0));
  }
  // NAT/FULLNAT rewrite and then route the packet on: without forwarding the kernel drops it.
  if (nat4 && number(values, kIpForward) == 0U) {
    out.push_back("host: net.ipv4.ip_forward is 0, so the NAT/FULLNAT services " +
                  servicesOf(config, false) +
                  " forward nothing; fix: sysctl -w net.ipv4.ip_forward=1");
  }
  if (nat6 && number(values, kIp6Forward) == 0U) {
    out.push_back("host: net.ipv6.conf.all.forwarding is 0, so the NAT/FULLNAT services " +
                  servicesOf(config, true) +
                  " forward nothing; fix: sysctl -w net.ipv6.conf.all.forwarding=1");
  }
  // Every flow is one conntrack entry; a full table drops new flows. The rule: at least the floor
  // (Debian's smallest default), and 1024 concurrent flows per configured real, a modest per-server
  // concurrency for web backends.
  if (auto max = number(values, kConntrackMax); max && !config.virtualServers.empty()) {
    const uint64_t wanted = std::max(kConntrackFloor, conntrackReals * kConntrackPerReal);
    if (*max < wanted) {
      out.push_back(
          "host: net.netfilter.nf_conntrack_max is " + std::to_string(*max) + ", below " +
          std::to_string(wanted) + " (" + std::to_string(conntrackReals) + " reals x " +
          std::to_string(kConntrackPerReal) + " flows, at least " +
          std::to_string(kConntrackFloor) +
          "): a full table drops new flows; fix: sysctl -w net.netfilter.nf_conntrack_max=" +
          std::to_string(wanted));
    }
  }
  // Strict reverse-path filtering drops a client's packets to the VIP whenever the route back to
  // the client leaves by another interface (asymmetric paths are common in DR set-ups). The
  // effective mode is the larger of "all" and the interface's.
  const auto all = number(values, kAllRpFilter).value_or(0);
  for (const auto& dev : drDevices(config)) {
    const auto own = number(values, rpFilterPath(dev)).value_or(0);
    if (std::max(all, own) == 1) {
      out.push_back("host: strict rp_filter on " + dev +
                    " (DR VIPs arrive there) drops clients whose route back " +
                    "leaves by another interface; fix: sysctl -w net.ipv4.conf.all.rp_filter=2 " +
                    "net.ipv4.conf." + sysctlDev(dev) + ".rp_filter=2 (loose)");
    }
  }
  // IPVS forgets an idle established TCP connection after 900 s; a shorter conntrack timeout drops
  // the NAT binding of idle keep-alive connections sooner than operators coming from IPVS expect,
  // and one shorter than persistence_timeout breaks the client's connection while its affinity
  // lives.
  if (auto established = number(values, kEstablished);
      established && !config.virtualServers.empty()) {
    const uint64_t wanted = std::max<uint64_t>(kIpvsEstablishedTimeoutSec, longestPersistence);
    if (*established < wanted) {
      out.push_back("host: net.netfilter.nf_conntrack_tcp_timeout_established is " +
                    std::to_string(*established) + " s, below " + std::to_string(wanted) +
                    " s (IPVS's 900 s or the longest persistence_timeout): idle connections lose "
                    "their binding; "
                    "fix: sysctl -w net.netfilter.nf_conntrack_tcp_timeout_established=" +
                    std::to_string(wanted));
    }
  }
  // A flow that fails over before its entry was synced is picked up mid-stream only with
  // tcp_loose (sync/README.md, bench/README.md); without it the takeover resets it.
  if (config.sync.enabled && number(values, kTcpLoose) == 0U) {
    out.push_back(
        "host: net.netfilter.nf_conntrack_tcp_loose is 0: a flow that fails over before its entry "
        "was "
        "synced is dropped instead of picked up mid-stream; fix: sysctl -w "
        "net.netfilter.nf_conntrack_tcp_loose=1");
  }
  return out;
}

SysctlValues readSysctls(const std::vector<std::string>& names, const std::string& root) {
  SysctlValues values;
  for (const auto& name : names) {
    std::ifstream in(root + "/" + name);
    std::string value;
    if (in && std::getline(in, value)) {
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
      values[name] = value;
    }
  }
  return values;
}

}  // namespace ha::director
