#include "director/ctl/endpoint_names.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace ha::director {

std::string ResolvingNames::name(const IpAddress& address, uint16_t port,
                                 std::string_view protocol) {
  const std::string hostName = host(address);
  const std::string serviceName = service(port, protocol);
  return address.isV4() ? hostName + ":" + serviceName : "[" + hostName + "]:" + serviceName;
}

std::string ResolvingNames::host(const IpAddress& address) {
  if (auto known = hosts_.find(address); known != hosts_.end()) return known->second;
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (address.isV4()) {
    sockaddr_in v4{};
    v4.sin_family = AF_INET;
    std::memcpy(&v4.sin_addr, address.bytes(), sizeof v4.sin_addr);
    std::memcpy(&storage, &v4, sizeof v4);
    length = sizeof v4;
  } else {
    sockaddr_in6 v6{};
    v6.sin6_family = AF_INET6;
    std::memcpy(&v6.sin6_addr, address.bytes(), sizeof v6.sin6_addr);
    std::memcpy(&storage, &v6, sizeof v6);
    length = sizeof v6;
  }
  char buffer[NI_MAXHOST];
  std::string result = address.str();
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&storage), length, buffer, sizeof buffer,
                  nullptr, 0, NI_NAMEREQD) == 0) {
    result = buffer;
  }
  hosts_.emplace(address, result);
  return result;
}

std::string ResolvingNames::service(uint16_t port, std::string_view protocol) {
  std::string lower(protocol);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto key = std::make_tuple(port, lower);
  if (auto known = services_.find(key); known != services_.end()) return known->second;
  std::string result = std::to_string(port);
  servent entry{};
  servent* found = nullptr;
  char buffer[1024];
  if (getservbyport_r(htons(port), lower.c_str(), &entry, buffer, sizeof buffer, &found) == 0 &&
      found != nullptr) {
    result = found->s_name;
  }
  services_.emplace(key, result);
  return result;
}

}  // namespace ha::director
