// The ipvs families: node_exporter's ipvs collector per virtual service and per real.
#include <cstdio>
#include <string>

#include "director/metrics/families.h"

namespace ha::director::metrics {

namespace {

// node_exporter (procfs) reads a fwmark service as local_address "", local_port 0, proto "FWM"
// and local_mark the mark as /proc/net/ip_vs prints it (8 hex digits). A virtual_server_group is
// one service here: its series carry its first member's address and port (members never overlap).
struct ServiceLabelValues {
  std::string address, port, proto, mark;
};

ServiceLabelValues labelValues(const ServicePlan& plan) {
  const ServiceKey& key = plan.key;
  if (key.fwmark != 0) {
    char mark[9];
    std::snprintf(mark, sizeof mark, "%08X", key.fwmark);
    return {"", "0", "FWM", mark};
  }
  std::string proto(protocolName(key.protocol));
  if (!key.group.empty() && !plan.groupAddresses.empty()) {
    const Endpoint& first = plan.groupAddresses.front();
    return {first.address.str(), std::to_string(first.port), proto, ""};
  }
  if (!key.group.empty() && !plan.groupFwmarks.empty()) {
    char mark[9];
    std::snprintf(mark, sizeof mark, "%08X", plan.groupFwmarks.front());
    return {"", "0", "FWM", mark};
  }
  return {key.vip.str(), std::to_string(key.port), proto, ""};
}

}  // namespace

Labels serviceLabels(const ServiceSnapshot& service) {
  auto v = labelValues(service.plan);
  return {{std::string(kLocalAddress), v.address},
          {std::string(kLocalPort), v.port},
          {std::string(kProto), v.proto},
          {std::string(kLocalMark), v.mark}};
}

Labels backendLabels(const ServiceSnapshot& service, const RealSnapshot& real) {
  auto v = labelValues(service.plan);
  const Endpoint& endpoint = real.real.endpoint;
  // node_exporter's order: local_address, local_port, remote_address, remote_port, proto,
  // local_mark.
  return {{std::string(kLocalAddress), v.address},
          {std::string(kLocalPort), v.port},
          {std::string(kRemoteAddress), endpoint.address.str()},
          {std::string(kRemotePort), std::to_string(endpoint.port)},
          {std::string(kProto), v.proto},
          {std::string(kLocalMark), v.mark}};
}

void addIpvs(const DirectorSnapshot& snapshot, FamilySet& out) {
  for (const ServiceSnapshot& service : snapshot.services) {
    const Labels labels = serviceLabels(service);
    // sinceStart: -Z zeroes only the ipvsadm view; a Prometheus counter never goes back.
    const TrafficCounters& c = service.sinceStart;
    out.add(kConnections, labels, c.conns);
    out.add(kIncomingPackets, labels, c.inPackets);
    out.add(kOutgoingPackets, labels, c.outPackets);
    out.add(kIncomingBytes, labels, c.inBytes);
    out.add(kOutgoingBytes, labels, c.outBytes);
  }
  for (const ServiceSnapshot& service : snapshot.services) {
    for (const RealSnapshot& real : service.reals) {
      const Labels labels = backendLabels(service, real);
      out.add(kBackendActive, labels, real.activeConns);
      out.add(kBackendInactive, labels, real.inactiveConns);
      out.add(kBackendWeight, labels, uint64_t{real.real.weight});
      const TrafficCounters& c = real.sinceStart;
      out.add(kBackendConnections, labels, c.conns);
      out.add(kBackendIncomingPackets, labels, c.inPackets);
      out.add(kBackendOutgoingPackets, labels, c.outPackets);
      out.add(kBackendIncomingBytes, labels, c.inBytes);
      out.add(kBackendOutgoingBytes, labels, c.outBytes);
    }
  }
}

}  // namespace ha::director::metrics
