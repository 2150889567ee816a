#include "director/ctl/service_ref.h"

#include <charconv>
#include <string>

#include "common/ip_address.h"

namespace ha::director {

Result<directord::admin::ServiceRef> parseServiceRef(std::string_view flag,
                                                     std::string_view vipPort) {
  directord::admin::ServiceRef ref;
  if (flag == "-t") {
    ref.set_protocol("TCP");
  } else if (flag == "-u") {
    ref.set_protocol("UDP");
  } else {
    return Error{"expected -t or -u before VIP:PORT, not " + std::string(flag)};
  }
  const size_t colon = vipPort.rfind(':');
  if (colon == std::string_view::npos)
    return Error{"expected VIP:PORT, not " + std::string(vipPort)};
  std::string_view host = vipPort.substr(0, colon);
  const std::string_view portText = vipPort.substr(colon + 1);
  const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  auto vip = IpAddress::parse(host);
  // An IPv6 address needs its brackets, or its last group would be read as the port.
  if (!vip || vip->isV4() == bracketed) return Error{"not a VIP:PORT: " + std::string(vipPort)};
  uint32_t port = 0;
  auto [end, ec] = std::from_chars(portText.data(), portText.data() + portText.size(), port);
  if (ec != std::errc() || end != portText.data() + portText.size() || port == 0 || port > 65535) {
    return Error{"port must be 1-65535 in " + std::string(vipPort)};
  }
  ref.set_vip(vip->str());
  ref.set_port(port);
  return ref;
}

}  // namespace ha::director
