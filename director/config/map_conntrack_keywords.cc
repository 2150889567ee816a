// The keywords that shape our flows' conntrack entries: lvs_timeouts (global_defs, and ours per
// virtual_server), persistence_granularity and ops (virtual_server).
#include <array>
#include <string>

#include "director/config/config_mapper.h"
#include "director/config/node_rules.h"
#include "director/config/value_parsers.h"

namespace ha::director::config {
namespace {

// keepalived's LVS_MAX_TIMEOUT (global_data.h): 31 days.
constexpr uint64_t kMaxLvsTimeoutSec = 86400ull * 31;

}  // namespace

// keepalived global_parser.c lvs_timeouts(): `[tcp SECS] [tcpfin SECS] [udp SECS]`, at least one;
// 0 leaves the value as it was (ipvsadm --set reads 0 the same way). keepalived ignores a bad
// value with an error; here the error refuses the config, so what forwards is what was written.
void mapLvsTimeouts(const Node& node, LvsTimeouts& out, DiagnosticSink& sink) {
  constexpr std::string_view kUsage = "lvs_timeouts [tcp SECS] [tcpfin SECS] [udp SECS]";
  if (!checkStatement(node, 2, 6, kUsage, sink)) return;
  LvsTimeouts parsed = out;
  std::array<bool, 3> seen{};
  bool ok = true;
  for (size_t i = 0; i < node.args.size(); i += 2) {
    const std::string& name = node.args[i];
    size_t which = name == "tcp" ? 0 : name == "tcpfin" ? 1 : name == "udp" ? 2 : 3;
    if (which == 3) {
      sink.error(node.where,
                 "unknown option '" + name + "' for 'lvs_timeouts': expected tcp, tcpfin or udp");
      ok = false;
      continue;
    }
    if (i + 1 >= node.args.size()) {
      sink.error(node.where, "lvs_timeouts " + name + ": no value (" + std::string(kUsage) + ")");
      ok = false;
      continue;
    }
    if (seen[which]) {
      sink.error(node.where, "lvs_timeouts " + name + " given twice");
      ok = false;
      continue;
    }
    seen[which] = true;
    auto seconds = parseUnsigned(node.args[i + 1], kMaxLvsTimeoutSec);
    if (!seconds) {
      sink.error(node.where, "invalid value '" + node.args[i + 1] + "' for 'lvs_timeouts " + name +
                                 "': expected seconds, 0 to " + std::to_string(kMaxLvsTimeoutSec) +
                                 " (31 days)");
      ok = false;
      continue;
    }
    auto& slot = which == 0 ? parsed.tcpSec : which == 1 ? parsed.tcpFinSec : parsed.udpSec;
    if (*seconds != 0) slot = static_cast<uint32_t>(*seconds);
  }
  if (ok) out = parsed;
}

// keepalived check_parser.c vs_granularity_handler: a dotted netmask for IPv4 (not necessarily
// solid: ipvsadm and the kernel take any mask), a prefix length 1..128 for IPv6.
void mapPersistenceGranularity(const Node& node, VirtualServerConfig& vs, DiagnosticSink& sink) {
  if (!checkStatement(node, 1, 1, "persistence_granularity NETMASK|PREFIXLEN", sink)) return;
  const std::string& text = node.args[0];
  const bool dotted = text.find('.') != std::string::npos;
  if (dotted != vs.vip.isV4()) {
    sink.error(node.where,
               "persistence_granularity " + text + " does not fit the " +
                   (vs.vip.isV4() ? "IPv4" : "IPv6") + " virtual_server " + vs.vip.str() +
                   ": expected " +
                   (vs.vip.isV4() ? "a netmask like 255.255.255.0" : "a prefix length 1-128"));
    return;
  }
  if (dotted) {
    auto mask = IpAddress::parse(text);
    if (!mask || !mask->isV4()) {
      sink.error(node.where, "invalid value '" + text +
                                 "' for 'persistence_granularity': expected an IPv4 netmask");
      return;
    }
    vs.persistenceGranularity = *mask;
    return;
  }
  auto length = parseUnsigned(text, 128);
  if (!length || *length == 0) {
    sink.error(node.where, "invalid value '" + text +
                               "' for 'persistence_granularity': expected a prefix length 1-128");
    return;
  }
  std::array<uint8_t, 16> bytes{};
  for (uint64_t bit = 0; bit < *length; ++bit)
    bytes[bit / 8] = static_cast<uint8_t>(bytes[bit / 8] | (0x80u >> (bit % 8)));
  vs.persistenceGranularity = IpAddress::fromBytes(Family::kV6, bytes.data());
}

// ops: IP_VS_SVC_F_ONEPACKET. IPVS applies it to UDP only; a TCP service cannot work without
// connection state (the handshake and every segment must reach one real), so it is refused.
void checkOneShot(const Node& serviceNode, const VirtualServerConfig& vs, DiagnosticSink& sink) {
  if (!vs.oneShot || vs.protocol == Protocol::kUdp) return;
  for (const Node& child : serviceNode.children) {
    if (child.keyword != "ops") continue;
    sink.error(child.where,
               "ops (one-packet scheduling) on the TCP virtual_server " + vs.vip.str() + " " +
                   std::to_string(vs.port) +
                   ": a TCP connection needs every segment at one real; ops is for UDP only");
    return;
  }
}

}  // namespace ha::director::config
