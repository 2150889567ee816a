#pragma once
// What a LookupRequest must hold before anyone trusts it. Both ends use this one check:
// directorctl refuses locally what directord would refuse, and the server (admin_codec's
// toFlowQuery) turns the checked target into the flow oracle's query.
#include <cstdint>
#include <string>

#include "admin.pb.h"
#include "common/ip_address.h"
#include "common/result.h"

namespace ha::director {

struct LookupTarget {
  uint8_t l4proto = 0;       // IPPROTO_TCP or IPPROTO_UDP
  std::string protocolName;  // "TCP" / "UDP", as ServiceStatus.protocol spells it
  IpAddress source;
  uint16_t sourcePort = 0;
  IpAddress vip;
  uint16_t vipPort = 0;
};

// Protocol "tcp"/"udp" (any case), addresses of one family, ports 1-65535.
Result<LookupTarget> checkLookupRequest(const directord::admin::LookupRequest& request);

}  // namespace ha::director
