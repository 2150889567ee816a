#pragma once
// admin.proto's SyncReply back to the model it was made from (director/server encodes it), so
// `directorctl sync` formats the same value type the sync thread snapshots. Rejection names this
// client does not know (a newer directord) are left out of rejectedBy; `rejected` still counts
// them.
#include "admin.pb.h"
#include "sync/sync_snapshot.h"

namespace ha::director {

sync::SyncSnapshot fromSyncReply(const directord::admin::SyncReply& reply);

}  // namespace ha::director
