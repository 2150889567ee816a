#pragma once
// Why a peer's entry was refused; each is counted per peer (SyncSnapshot) and never touches our
// table. Header-only: `directorctl sync` prints the reasons in this order without linking sync.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ha::sync {

enum class Rejection : uint8_t {
  kBadTuple,  // protocol, family, zero port/address, tuples that do not fit together
  kBadState,  // TCP state or status bits out of range
  kUnknownService,
  kUnknownReal,
  kUnknownLocalAddress,  // FULLNAT reply destination not in our local_address_group
  // The trust rules (provenance.h): who may change which entry.
  kOwnedLocally,      // an upsert of a flow this node holds and nobody taught it: ours
  kOwnedByOtherPeer,  // the flow's copy here was taught by another peer
  kNotTaught,         // a remove of a flow this peer did not teach us
  kQuota,             // a new flow past the peer's peer_quota
};
inline constexpr size_t kRejectionCount = 9;

// The names travel in admin.proto, so a client and a daemon of different versions still agree.
constexpr std::string_view rejectionName(Rejection reason) {
  switch (reason) {
    case Rejection::kBadTuple:
      return "bad-tuple";
    case Rejection::kBadState:
      return "bad-state";
    case Rejection::kUnknownService:
      return "unknown-service";
    case Rejection::kUnknownReal:
      return "unknown-real";
    case Rejection::kUnknownLocalAddress:
      return "unknown-local-address";
    case Rejection::kOwnedLocally:
      return "owned-locally";
    case Rejection::kOwnedByOtherPeer:
      return "owned-by-other-peer";
    case Rejection::kNotTaught:
      return "not-taught";
    case Rejection::kQuota:
      return "quota";
  }
  return "?";
}

}  // namespace ha::sync
