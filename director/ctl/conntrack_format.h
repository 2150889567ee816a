#pragma once
// `directorctl conntrack`: the table's usage against its max, whether it is
// under pressure (and so whether health results without an answer are being
// held), and the kernel's counters, in total and since directord started. Ages
// are directord's, so the text does not depend on the client's clock.
#include <string>

#include "admin.pb.h"

namespace ha::director {

std::string formatConntrack(const directord::admin::ConntrackReply& reply);

}  // namespace ha::director
