// The production ports of sync::Service: ctnetlink and gRPC over mutual TLS.
#include "common/conntrack/netlink_conntrack.h"
#include "sync/grpc_transport.h"
#include "sync/service.h"

namespace ha::sync {

ServicePorts productionPorts() {
  ServicePorts ports;
  ports.openConntrack = []() -> Result<std::unique_ptr<ConntrackPort>> {
    auto port = conntrack::NetlinkConntrack::open();
    if (!port) return Error{port.error()};
    return std::unique_ptr<ConntrackPort>(std::move(*port));
  };
  ports.startTransport = [](const SyncConfig& config, boost::asio::io_context& io,
                            TransportListener& listener) -> Result<std::unique_ptr<Transport>> {
    auto transport = GrpcTransport::start(config, io, listener);
    if (!transport) return Error{transport.error()};
    return std::unique_ptr<Transport>(std::move(*transport));
  };
  return ports;
}

}  // namespace ha::sync
