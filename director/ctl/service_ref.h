#pragma once
// ipvsadm's service argument, `-t|-u VIP:PORT` ("192.0.2.1:80", "[fd00::1]:53"), as the admin
// API's ServiceRef. Pure; a bad address or port is an error that says which.
#include <string_view>

#include "admin.pb.h"
#include "common/result.h"

namespace ha::director {

// flag: "-t" (TCP) or "-u" (UDP).
Result<directord::admin::ServiceRef> parseServiceRef(std::string_view flag,
                                                     std::string_view vipPort);

}  // namespace ha::director
