#pragma once
// The one header where admin.proto types meet model types (STYLE.md §4), implemented by
// admin_codec.cc, health_codec.cc, vrrp_codec.cc and sync_status_codec.cc. Requests come from a
// client, so toFlowQuery() checks everything the oracle would otherwise trust.
#include <chrono>
#include <string>

#include "admin.pb.h"
#include "common/result.h"
#include "director/admin/director_view.h"

namespace ha::director {

// Stamped with system_clock::now(): the health thread's timestamps become ages.
directord::admin::ServiceList toServiceList(const DirectorSnapshot& snapshot);
directord::admin::ServiceList toServiceList(const DirectorSnapshot& snapshot,
                                            std::chrono::system_clock::time_point now);
directord::admin::LookupReply toLookupReply(const FlowAnswer& answer);
directord::admin::VrrpList toVrrpList(const vrrp::RouterSnapshot& snapshot);
// Both ways: directorctl formats the model. Rejection names it does not know (a newer directord)
// are left out of rejectedBy; `rejected` still counts them.
directord::admin::SyncReply toSyncReply(const sync::SyncSnapshot& snapshot);
sync::SyncSnapshot fromSyncReply(const directord::admin::SyncReply& reply);
// forwarder_codec.cc, both ways (directorctl formats the model).
directord::admin::ForwarderReply toForwarderReply(const ForwarderStatus& status);
ForwarderStatus fromForwarderReply(const directord::admin::ForwarderReply& reply);
// conntrack_codec.cc
directord::admin::ConntrackReply toConntrackReply(const ConntrackStatus& status);
directord::admin::LookupRequest toLookupRequest(const FlowQuery& query);
Result<FlowQuery> toFlowQuery(const directord::admin::LookupRequest& request);

// health_codec.cc: a real's health fields (state, reason, weights, checkers with ages at `now`).
void setRealHealth(const RealSnapshot& real, std::chrono::system_clock::time_point now,
                   directord::admin::RealStatus* out);

// "TCP 192.0.2.1:80", "UDP [2001:db8::1]:53": the service names ipvsadm users know.
std::string serviceText(const ServiceKey& key);

}  // namespace ha::director
