#pragma once
// Header-only, as sync_snapshot.h is: `directorctl sync` reads it without linking sync.
#include <compare>
#include <cstdint>

namespace ha::sync {

// Streams the transport ended or refused before any listener call (no peer to count them under).
struct TransportStats {
  uint64_t refusedStreams = 0;  // no valid Hello first, or a Hello that does not match the cert
  uint64_t helloTimeouts = 0;   // no Hello within the deadline
  uint64_t overCapStreams = 0;  // more incoming streams at once than the cap
  uint64_t resetStreams = 0;    // ended for garbage (malformed messages, floods)
  auto operator<=>(const TransportStats&) const = default;
};

}  // namespace ha::sync
