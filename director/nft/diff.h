#pragma once
// Two NftStates -> the Transaction that turns the first into the second (pure). Unchanged objects
// are not touched, so a health flip or a weight change is a handful of element edits.
#include "director/nft/ir.h"

namespace ha::director::nft {

Transaction diff(const NftState& from, const NftState& to);

// The first transaction of a process: replaces whatever an earlier run left behind, atomically
// (add-if-missing, delete, re-create), so a crash never leaves stale rules in force. A table a
// crashed predecessor left owner-flagged and persistent is an orphan the kernel lets us delete; one
// owned by a live process (a second directord) makes the whole transaction fail with EPERM.
// `ours` lists every table directord may own, so a stale one absent from `to` goes too.
Transaction replaceAll(const NftState& to, const std::vector<TableId>& ours);

// Removes every table of `state` (clean stop).
Transaction removeAll(const NftState& state);

}  // namespace ha::director::nft
