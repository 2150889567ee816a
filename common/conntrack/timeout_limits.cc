#include "common/conntrack/timeout_limits.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <string_view>
#include <utility>

namespace ha::conntrack {
namespace {

// enum tcp_conntrack
constexpr size_t kSynSent = 1, kSynRecv = 2, kEstablished = 3, kFinWait = 4, kCloseWait = 5,
                 kLastAck = 6, kTimeWait = 7, kClose = 8, kSynSent2 = 9;

constexpr std::pair<size_t, std::string_view> kTcpSysctls[] = {
    {kSynSent, "nf_conntrack_tcp_timeout_syn_sent"},
    {kSynRecv, "nf_conntrack_tcp_timeout_syn_recv"},
    {kEstablished, "nf_conntrack_tcp_timeout_established"},
    {kFinWait, "nf_conntrack_tcp_timeout_fin_wait"},
    {kCloseWait, "nf_conntrack_tcp_timeout_close_wait"},
    {kLastAck, "nf_conntrack_tcp_timeout_last_ack"},
    {kTimeWait, "nf_conntrack_tcp_timeout_time_wait"},
    {kClose, "nf_conntrack_tcp_timeout_close"},
};

bool readSeconds(const std::string& path, uint32_t& out) {
  std::ifstream in(path);
  std::string text;
  if (!(in >> text)) return false;
  uint32_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return false;
  out = value;
  return true;
}

}  // namespace

TimeoutLimits kernelDefaultTimeouts() {
  TimeoutLimits l;
  l.tcp[kSynSent] = 120;
  l.tcp[kSynRecv] = 60;
  l.tcp[kEstablished] = 5 * 24 * 3600;
  l.tcp[kFinWait] = 120;
  l.tcp[kCloseWait] = 60;
  l.tcp[kLastAck] = 30;
  l.tcp[kTimeWait] = 120;
  l.tcp[kClose] = 10;
  l.tcp[kSynSent2] = 120;
  l.udp = 30;
  l.udpStream = 120;
  return l;
}

uint32_t timeoutCeiling(const TimeoutLimits& limits, const FlowEntry& entry) {
  if (entry.l4proto == kProtoUdp) {
    return (entry.status & kSyncedStatusBits) != 0 ? limits.udpStream : limits.udp;
  }
  if (entry.tcpState == 0 || entry.tcpState > kTcpStateMax) {
    return *std::max_element(limits.tcp.begin(), limits.tcp.end());
  }
  return limits.tcp[entry.tcpState];
}

bool clampTimeout(const TimeoutLimits& limits, FlowEntry& entry) {
  const uint32_t ceiling = timeoutCeiling(limits, entry);
  if (entry.timeoutSeconds <= ceiling) return false;
  entry.timeoutSeconds = ceiling;
  return true;
}

TimeoutLimits readTimeoutLimits(const std::string& dir, std::vector<std::string>& problems) {
  TimeoutLimits limits = kernelDefaultTimeouts();
  auto read = [&](std::string_view name, uint32_t& field) {
    const std::string path = dir + "/" + std::string(name);
    if (!readSeconds(path, field)) problems.push_back(path);
  };
  for (const auto& [state, name] : kTcpSysctls) read(name, limits.tcp[state]);
  // SYN_SENT2 (simultaneous open) has no sysctl: it keeps the kernel's fixed 2 minutes.
  read("nf_conntrack_udp_timeout", limits.udp);
  read("nf_conntrack_udp_timeout_stream", limits.udpStream);
  return limits;
}

}  // namespace ha::conntrack
