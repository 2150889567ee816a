#pragma once
// Where the node's model types become admin.proto (the server's half of the codec), implemented
// by admin_codec.cc, health_codec.cc, vrrp_codec.cc, sync_status_codec.cc, forwarder_codec.cc and
// conntrack_codec.cc. Requests come from a client, so toFlowQuery() checks everything the oracle
// would otherwise trust (with director/ctl/lookup_request.h, the check directorctl runs too).
#include <chrono>
#include <string>
#include <vector>

#include "admin.pb.h"
#include "common/result.h"
#include "director/node/director_view.h"

namespace ha::director {

// Stamped with system_clock::now(): the health thread's timestamps become ages.
directord::admin::ServiceList toServiceList(const DirectorSnapshot& snapshot);
directord::admin::ServiceList toServiceList(const DirectorSnapshot& snapshot,
                                            std::chrono::system_clock::time_point now);
directord::admin::LookupReply toLookupReply(const FlowAnswer& answer);
directord::admin::VrrpList toVrrpList(const vrrp::RouterSnapshot& snapshot);
// The way back is director/ctl/sync_reply.h: directorctl formats the model.
directord::admin::SyncReply toSyncReply(const sync::SyncSnapshot& snapshot);
directord::admin::ForwarderReply toForwarderReply(const ForwarderStatus& status);
// conntrack_codec.cc
directord::admin::ConntrackReply toConntrackReply(const ConntrackStatus& status);
directord::admin::LookupRequest toLookupRequest(const FlowQuery& query);
// connections_codec.cc: `directorctl -Lc`; the request's service, checked (protocol TCP/UDP, an
// address, a port 1-65535).
directord::admin::ConnectionList toConnectionList(const ConnectionTable& table);
Result<ServiceKey> toServiceKey(const directord::admin::ServiceRef& ref);
Result<FlowQuery> toFlowQuery(const directord::admin::LookupRequest& request);

// health_codec.cc: a real's health fields (state, reason, weights, checkers with ages at `now`).
void setRealHealth(const RealSnapshot& real, std::chrono::system_clock::time_point now,
                   directord::admin::RealStatus* out);

// edit_codec.cc: a client's batch of edits, every field checked ("edit 2: ..." names the bad one).
Result<std::vector<RuntimeEdit>> toRuntimeEdits(const directord::admin::EditBatch& batch);

// "TCP 192.0.2.1:80", "UDP [2001:db8::1]:53": the service names ipvsadm users know.
std::string serviceText(const ServiceKey& key);

}  // namespace ha::director
