#pragma once
// What a receiver knows about its own services, pushed by the director after every plan change.
// A peer's entry is admitted only for a service, real and local address this node has configured;
// the entry then takes this node's mark. Pure.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string_view>

#include "sync/flow.h"
#include "sync/rejection.h"

namespace ha::sync {

struct CatalogKey {
  uint8_t l4proto = 0;
  IpAddress vip;
  uint16_t port = 0;  // 0: every port of the VIP (a port-0 virtual server)
  // vip 0.0.0.0 / :: with port 0: the service selected by a packet mark (fwmark), whatever the
  // destination; tried last. The flow carries no packet mark, so one such service per family.
  auto operator<=>(const CatalogKey&) const = default;
};

struct CatalogEndpoint {
  IpAddress address;
  uint16_t port = 0;  // 0: any port (a port-0 real)
  auto operator<=>(const CatalogEndpoint&) const = default;
};

struct CatalogService {
  uint32_t mark = 0;  // this node's ct mark for the service
  bool fullnat = false;
  std::set<CatalogEndpoint> reals;          // configured reals (any health) and the sorry server
  // FULLNAT: every local address this node has configured. One set shared by all services: a
  // copy per service was 8k addresses x 1k services of memory for the same answer.
  std::shared_ptr<const std::set<IpAddress>> localAddresses;
};

using ServiceCatalog = std::map<CatalogKey, CatalogService>;

// Gives an admitted entry this node's mark; otherwise says why it is refused and leaves it alone.
// A remove needs only a plausible original tuple of a known service.
std::optional<Rejection> admit(const ServiceCatalog& catalog, FlowOp op, FlowEntry& entry);

}  // namespace ha::sync
