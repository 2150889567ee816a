// Names shown in logs, counters and `directorctl vrrp`; keepalived's words where it has them.
#include "vrrp/packet.h"
#include "vrrp/state_machine.h"

namespace ha::vrrp {

std::string_view stateName(State state) {
  switch (state) {
    case State::kInitialize: return "INIT";
    case State::kBackup: return "BACKUP";
    case State::kMaster: return "MASTER";
    case State::kFault: return "FAULT";
  }
  return "?";
}

std::string_view dropReasonName(DropReason reason) {
  switch (reason) {
    case DropReason::kBadTtl: return "bad_ttl";
    case DropReason::kTooShort: return "too_short";
    case DropReason::kTooLong: return "too_long";
    case DropReason::kBadVersion: return "bad_version";
    case DropReason::kBadType: return "bad_type";
    case DropReason::kBadChecksum: return "bad_checksum";
    case DropReason::kUnknownVrid: return "unknown_vrid";
    case DropReason::kVersionMismatch: return "version_mismatch";
    case DropReason::kAddressCount: return "address_count";
    case DropReason::kAuthMismatch: return "auth_mismatch";
    case DropReason::kIntervalMismatch: return "interval_mismatch";
    case DropReason::kNotUnicastPeer: return "not_unicast_peer";
    case DropReason::kCount_: break;
  }
  return "?";
}

}  // namespace ha::vrrp
