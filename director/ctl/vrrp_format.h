#pragma once
// `directorctl vrrp`: one block per VRRP instance, in the words keepalived's logs use.
#include <cstdint>
#include <string>

#include "admin.pb.h"

namespace ha::director {

// nowUnixMs lets the text say "12.3s ago" and stay testable.
std::string formatVrrp(const directord::admin::VrrpList& list, int64_t nowUnixMs);

}  // namespace ha::director
