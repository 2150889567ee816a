// ConnectionTable (model) -> ConnectionList (proto), and the request's ServiceRef -> ServiceKey.
#include <algorithm>
#include <cctype>

#include "director/server/admin_codec.h"

namespace ha::director {

directord::admin::ConnectionList toConnectionList(const ConnectionTable& table) {
  directord::admin::ConnectionList out;
  out.set_total(table.total);
  for (const ConnectionRow& row : table.rows) {
    auto* c = out.add_connections();
    c->set_protocol(std::string(protocolName(row.protocol)));
    c->set_expires_s(row.expiresSeconds);
    c->set_state(row.state);
    c->set_source(row.source.str());
    c->set_virtual_service(row.virtualService.str());
    c->set_destination(row.destination.str());
  }
  return out;
}

Result<ServiceKey> toServiceKey(const directord::admin::ServiceRef& ref) {
  std::string protocol = ref.protocol();
  std::transform(protocol.begin(), protocol.end(), protocol.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  ServiceKey key;
  if (ref.fwmark() != 0) {  // ipvsadm -f MARK; the node resolves the family (resolveServiceKey)
    key.fwmark = ref.fwmark();
    return key;
  }
  if (protocol == "TCP") {
    key.protocol = Protocol::kTcp;
  } else if (protocol == "UDP") {
    key.protocol = Protocol::kUdp;
  } else {
    return Error{"protocol \"" + ref.protocol() + "\" is not TCP or UDP"};
  }
  auto vip = IpAddress::parse(ref.vip());
  if (!vip) return Error{"\"" + ref.vip() + "\" is not an IP address"};
  if (ref.port() == 0 || ref.port() > 65535) {
    return Error{"port " + std::to_string(ref.port()) + " is not in 1-65535"};
  }
  key.vip = *vip;
  key.port = static_cast<uint16_t>(ref.port());
  return key;
}

}  // namespace ha::director
