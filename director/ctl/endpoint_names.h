#pragma once
// How ipvsadm without -n prints an endpoint: the host's name and the port's service name
// (addrport_to_anyname: gethostbyaddr, getservbyport; the number where there is no name), IPv6
// hosts in brackets. The formatters take the interface so they stay pure; tests hand them a
// table, directorctl the resolver.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>

#include "common/ip_address.h"

namespace ha::director {

class EndpointNames {
 public:
  virtual ~EndpointNames() = default;
  // protocol: "TCP" / "UDP" (the service's), for the port's name.
  virtual std::string name(const IpAddress& address, uint16_t port, std::string_view protocol) = 0;
};

// The system's resolver (getnameinfo with NI_NAMEREQD, getservbyport), each address and port
// asked once per run: a table of many reals on few hosts costs a lookup per host.
class ResolvingNames final : public EndpointNames {
 public:
  std::string name(const IpAddress& address, uint16_t port, std::string_view protocol) override;

 private:
  std::string host(const IpAddress& address);
  std::string service(uint16_t port, std::string_view protocol);

  std::map<IpAddress, std::string> hosts_;
  std::map<std::tuple<uint16_t, std::string>, std::string> services_;
};

}  // namespace ha::director
