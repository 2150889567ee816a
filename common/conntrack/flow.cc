#include "common/conntrack/flow.h"

#include <string_view>

namespace ha::conntrack {
namespace {

std::string_view protoName(uint8_t l4proto) {
  if (l4proto == kProtoTcp) return "tcp";
  if (l4proto == kProtoUdp) return "udp";
  return "proto?";
}

std::string tupleText(const FlowTuple& t) {
  return formatEndpoint(t.src, t.srcPort) + " -> " + formatEndpoint(t.dst, t.dstPort);
}

}  // namespace

std::string describe(const FlowEntry& entry) {
  std::string out(protoName(entry.l4proto));
  out += " " + tupleText(entry.original) + " | reply " + tupleText(entry.reply);
  if (entry.l4proto == kProtoTcp) out += " state " + std::to_string(entry.tcpState);
  out += " timeout " + std::to_string(entry.timeoutSeconds);
  return out;
}

size_t FlowKeyHash::operator()(const FlowKey& key) const noexcept {
  std::hash<IpAddress> addressHash;
  size_t h = addressHash(key.original.src);
  h = h * 31 + addressHash(key.original.dst);
  h = h * 31 + (size_t{key.original.srcPort} << 16 | key.original.dstPort);
  return h * 31 + key.l4proto;
}

}  // namespace ha::conntrack
