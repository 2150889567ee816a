// The ipvs families: node_exporter's ipvs collector per virtual service and per real.
#include <string>

#include "director/metrics/families.h"

namespace ha::director::metrics {

Labels serviceLabels(const ServiceSnapshot& service) {
  const ServiceKey& key = service.plan.key;
  // local_mark is IPVS' fwmark of a fwmark service; directord has none, so it is empty as
  // node_exporter leaves it for address services.
  return {{std::string(kLocalAddress), key.vip.str()},
          {std::string(kLocalPort), std::to_string(key.port)},
          {std::string(kProto), std::string(protocolName(key.protocol))},
          {std::string(kLocalMark), ""}};
}

Labels backendLabels(const ServiceSnapshot& service, const RealSnapshot& real) {
  const ServiceKey& key = service.plan.key;
  const Endpoint& endpoint = real.real.endpoint;
  // node_exporter's order: local_address, local_port, remote_address, remote_port, proto,
  // local_mark.
  return {{std::string(kLocalAddress), key.vip.str()},
          {std::string(kLocalPort), std::to_string(key.port)},
          {std::string(kRemoteAddress), endpoint.address.str()},
          {std::string(kRemotePort), std::to_string(endpoint.port)},
          {std::string(kProto), std::string(protocolName(key.protocol))},
          {std::string(kLocalMark), ""}};
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
