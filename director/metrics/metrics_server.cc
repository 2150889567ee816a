#include "director/metrics/metrics_server.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>

#include "director/config/value_parsers.h"
#include "prometheus/exposer.h"

namespace ha::director::metrics {
namespace {

// Civetweb only says that it could not bind; a socket of our own, bound and closed at once, says
// why (EADDRINUSE, EADDRNOTAVAIL, EACCES).
std::string whyNoBind(const ListenAddress& where) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (where.address.isV4()) {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage);
    in->sin_family = AF_INET;
    in->sin_port = htons(where.port);
    std::memcpy(&in->sin_addr, where.address.bytes(), 4);
    length = sizeof(sockaddr_in);
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(where.port);
    std::memcpy(&in6->sin6_addr, where.address.bytes(), 16);
    length = sizeof(sockaddr_in6);
  }
  const int fd = ::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::strerror(errno);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));  // as civetweb binds
  std::string why = "the HTTP server did not start";
  if (::bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0) why = std::strerror(errno);
  ::close(fd);
  return why;
}

}  // namespace

Result<ListenAddress> parseListenAddress(std::string_view text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos)
    return Error{"'" + std::string(text) + "': expected ADDR:PORT"};
  std::string_view host = text.substr(0, colon);
  const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  auto address = IpAddress::parse(host);
  auto port = config::parseUnsigned(text.substr(colon + 1), 65535);
  if (!address || (!address->isV4() && !bracketed)) {
    return Error{"'" + std::string(text) +
                 "': expected ADDR:PORT with an IP address ([ADDR]:PORT for IPv6)"};
  }
  if (!port || *port == 0) return Error{"'" + std::string(text) + "': the port must be 1-65535"};
  return ListenAddress{*address, static_cast<uint16_t>(*port), {}};
}

MetricsServer::MetricsServer(std::unique_ptr<prometheus::Exposer> exposer, uint16_t port)
    : exposer_(std::move(exposer)), port_(port) {}

MetricsServer::~MetricsServer() = default;

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(
    const ListenAddress& where, const std::shared_ptr<prometheus::Collectable>& collectable) {
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    // Two threads: Prometheus scrapes one at a time; the second answers a curl meanwhile.
    exposer = std::make_unique<prometheus::Exposer>(where.str(), 2);
  } catch (const std::exception&) {
    return Error{"cannot listen on " + where.str() + " for /metrics: " + whyNoBind(where)};
  }
  const std::vector<int> ports = exposer->GetListeningPorts();
  if (ports.empty())
    return Error{"cannot listen on " + where.str() + " for /metrics: no listening port"};
  exposer->RegisterCollectable(collectable);
  return std::unique_ptr<MetricsServer>(
      new MetricsServer(std::move(exposer), static_cast<uint16_t>(ports.front())));
}

}  // namespace ha::director::metrics
