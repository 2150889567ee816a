#pragma once
// `directorctl status`: the forwarder's tables, who may change them, and the drift seen.
#include <string>

#include "director/admin/director_view.h"

namespace ha::director {

std::string formatForwarder(const ForwarderStatus& status);
// The forwarder is not what the plan says (a repair pending or failing): `list` warns and
// `status` exits non-zero.
bool forwarderDegraded(const ForwarderStatus& status);

}  // namespace ha::director
