#pragma once
// /metrics over HTTP: prometheus-cpp's Exposer (civetweb, its own threads) serving one
// Collectable. Bound at start, before anything touches the kernel, so a taken port changes
// nothing.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "director/config/config_model.h"
#include "prometheus/collectable.h"

namespace prometheus {
class Exposer;
}

namespace ha::director::metrics {

// --metrics-listen: "ADDR:PORT", IPv6 as "[ADDR]:PORT"; port 1-65535.
Result<ListenAddress> parseListenAddress(std::string_view text);

class MetricsServer {
 public:
  // Listens on `where` (port 0: any free port) and serves `collectable` at /metrics. The error
  // names the address and why it cannot be had ("Address already in use").
  static Result<std::unique_ptr<MetricsServer>> start(
      const ListenAddress& where, const std::shared_ptr<prometheus::Collectable>& collectable);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  uint16_t port() const { return port_; }

 private:
  MetricsServer(std::unique_ptr<prometheus::Exposer> exposer, uint16_t port);

  std::unique_ptr<prometheus::Exposer> exposer_;
  uint16_t port_ = 0;
};

}  // namespace ha::director::metrics
