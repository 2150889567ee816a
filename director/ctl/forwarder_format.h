#pragma once
// `directorctl status`: the forwarder's tables, who may change them, and the drift seen.
// Pure: proto in, text out.
#include <string>

#include "admin.pb.h"

namespace ha::director {

std::string formatForwarder(const directord::admin::ForwarderReply& reply);
// The forwarder is not what the plan says (a repair pending or failing): `list` warns and
// `status` exits non-zero.
bool forwarderDegraded(const directord::admin::ForwarderReply& reply);

}  // namespace ha::director
