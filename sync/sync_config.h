#pragma once
// The `connection_sync { ... }` block, as the director's config parser fills it (docs/style.md §4).
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/ip_address.h"

namespace ha::sync {

struct PeerConfig {
  std::string name;  // must match the peer's certificate (CN or a DNS SAN) and its Hello
  IpAddress address;
  uint16_t port = 0;
  auto operator<=>(const PeerConfig&) const = default;
};

struct TlsConfig {
  std::string caFile;    // PEM: the CA that signs every director's certificate
  std::string certFile;  // PEM: this node's certificate (client and server)
  std::string keyFile;
  auto operator<=>(const TlsConfig&) const = default;
};

struct SyncConfig {
  bool enabled = false;
  std::string nodeName;  // global_defs router_id; what peers expect in our certificate
  IpAddress listenAddress;
  uint16_t listenPort = 0;
  std::vector<PeerConfig> peers;
  TlsConfig tls;
  // Per-peer outbound queue bound (flows); beyond it updates are dropped, counted, and a bulk
  // resync is scheduled.
  uint32_t queueLimit = 262144;
  // Per-peer bound on the flows it may teach us (copies it created in our kernel); past it, new
  // flows from that peer are refused and counted (`quota`). Bounds what a peer costs us.
  uint32_t peerQuota = 262144;
  // track_sync: a node that has not received every live peer's bulk by then stops waiting.
  std::chrono::milliseconds readyTimeout{10000};
  auto operator<=>(const SyncConfig&) const = default;
};

}  // namespace ha::sync
