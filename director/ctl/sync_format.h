#pragma once
// `directorctl sync`: readiness and kernel counters, one table row per peer (our stream to it),
// then one line of what its stream to us brought. Absent measurements print "-".
#include <string>

#include "sync/sync_snapshot.h"

namespace ha::director {

std::string formatSync(const sync::SyncSnapshot& snapshot);

}  // namespace ha::director
