// validateSync(): connection_sync against global_defs (router_id, metrics_listen) and the VRRP
// instances.
#include <string>

#include "director/config/config_validator.h"

namespace ha::director::config {

void validateSync(const MappedConfig& mapped, DiagnosticSink& sink) {
  const Config& config = mapped.config;
  if (mapped.sync) {
    for (size_t i = 0; i < config.sync.peers.size(); ++i) {
      const auto& peer = config.sync.peers[i];
      if (peer.name != config.sync.nodeName) continue;
      // Peers check our certificate and Hello against this name: two nodes with one name would
      // each take the other's stream for its own.
      const std::string what =
          config.globals.routerId.empty() ? "host name, the default router_id" : "router_id";
      sink.error(mapped.sync->peers[i], "connection_sync: peer " + peer.name +
                                            " has this node's name (" + what +
                                            "); list only the other directors");
    }
  }
  // Both would bind the one socket, and the second to start would fail.
  const auto& metrics = config.globals.metricsListen;
  if (mapped.sync && metrics && metrics->address == config.sync.listenAddress &&
      metrics->port == config.sync.listenPort) {
    sink.error(metrics->where, "metrics_listen " + metrics->str() +
                                   " is connection_sync's listen address; give it another port");
  }
  for (size_t i = 0; i < config.vrrp.instances.size(); ++i) {
    const auto& inst = config.vrrp.instances[i];
    if (!inst.trackSync || mapped.sync) continue;
    const auto& src = mapped.vrrp.instances[i];
    sink.error(src.lines.trackSync.line > 0 ? src.lines.trackSync : src.where,
               "instance " + inst.name + ": track_sync without a connection_sync block");
  }
}

}  // namespace ha::director::config
