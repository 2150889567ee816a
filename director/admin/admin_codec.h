#pragma once
// The one file where admin.proto types meet model types (STYLE.md §4). Requests come from a
// client, so toFlowQuery() checks everything the oracle would otherwise trust.
#include <string>

#include "admin.pb.h"
#include "common/result.h"
#include "director/admin/director_view.h"

namespace ha::director {

directord::admin::ServiceList toServiceList(const DirectorSnapshot& snapshot);
directord::admin::LookupReply toLookupReply(const FlowAnswer& answer);
directord::admin::VrrpList toVrrpList(const vrrp::RouterSnapshot& snapshot);
directord::admin::LookupRequest toLookupRequest(const FlowQuery& query);
Result<FlowQuery> toFlowQuery(const directord::admin::LookupRequest& request);

// "TCP 192.0.2.1:80", "UDP [2001:db8::1]:53": the service names ipvsadm users know.
std::string serviceText(const ServiceKey& key);

}  // namespace ha::director
