#include "director/node/connection_table.h"

#include <array>

namespace ha::director {

std::string_view tcpStateName(uint8_t state) {
  static constexpr std::array<std::string_view, 10> kNames = {
      "NONE",       "SYN_SENT", "SYN_RECV",  "ESTABLISHED", "FIN_WAIT",
      "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE",       "SYN_SENT2"};
  return state < kNames.size() ? kNames[state] : "UNKNOWN";
}

ConnectionTable connectionTable(const std::vector<conntrack::FlowEntry>& flows,
                                const std::map<uint32_t, ServiceKey>& services,
                                const std::optional<ServiceKey>& only, size_t limit) {
  ConnectionTable table;
  for (const conntrack::FlowEntry& flow : flows) {
    if (!isOurMark(flow.mark)) continue;
    if (flow.l4proto != conntrack::kProtoTcp && flow.l4proto != conntrack::kProtoUdp) continue;
    const auto service = services.find(serviceIdOfMark(flow.mark));
    const bool known = service != services.end();
    if (only && (!known || service->second != *only)) continue;
    ++table.total;
    if (table.rows.size() >= limit) continue;
    ConnectionRow row;
    row.protocol = flow.l4proto == conntrack::kProtoTcp ? Protocol::kTcp : Protocol::kUdp;
    row.expiresSeconds = flow.timeoutSeconds;
    if (row.protocol == Protocol::kTcp) row.state = std::string(tcpStateName(flow.tcpState));
    row.source = Endpoint{flow.original.src, flow.original.srcPort};
    // A group or mark service has no one VIP:port: the flow's own destination is the member hit.
    row.virtualService = known && service->second.plain()
                             ? Endpoint{service->second.vip, service->second.port}
                             : Endpoint{flow.original.dst, flow.original.dstPort};
    // After DNAT the reply comes from the real, for NAT and FULLNAT alike.
    row.destination = Endpoint{flow.reply.src, flow.reply.srcPort};
    table.rows.push_back(row);
  }
  return table;
}

}  // namespace ha::director
