#include "director/ctl/connection_format.h"

#include <cinttypes>
#include <cstdio>

namespace ha::director {
namespace {

namespace pb = directord::admin;

// "addr:port" as the codec writes it -> ipvsadm's name for it (a name only when asked for).
std::string endpointText(const std::string& endpoint, const std::string& protocol,
                         EndpointNames* names) {
  if (names == nullptr) return endpoint;
  const size_t colon = endpoint.rfind(':');
  if (colon == std::string::npos) return endpoint;
  std::string host = endpoint.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  auto address = IpAddress::parse(host);
  const std::string portText = endpoint.substr(colon + 1);
  char* end = nullptr;
  const unsigned long port = std::strtoul(portText.c_str(), &end, 10);
  if (!address || end == portText.c_str() || *end != '\0' || port > 65535) return endpoint;
  return names->name(*address, static_cast<uint16_t>(port), protocol);
}

std::string row(const pb::Connection& c, EndpointNames* names) {
  // IPVS names a UDP entry's state "UDP" (ip_vs_proto_udp.c udp_state_name_table).
  const std::string state = c.state().empty() && c.protocol() == "UDP" ? "UDP" : c.state();
  char expire[32];
  std::snprintf(expire, sizeof expire, "%02" PRIu64 ":%02" PRIu64, c.expires_s() / 60,
                c.expires_s() % 60);
  const std::string source = endpointText(c.source(), c.protocol(), names);
  const std::string virtualService = endpointText(c.virtual_service(), c.protocol(), names);
  const std::string destination = endpointText(c.destination(), c.protocol(), names);
  char line[512];
  const int n = std::snprintf(line, sizeof line, "%-3s %-6s %-11s %-18s %-18s %s\n",
                              c.protocol().c_str(), expire, state.c_str(), source.c_str(),
                              virtualService.c_str(), destination.c_str());
  if (n < 0) return {};
  return std::string(line, std::min(static_cast<size_t>(n), sizeof line - 1));
}

}  // namespace

std::string formatConnections(const pb::ConnectionList& list, EndpointNames* names) {
  std::string out = "IPVS connection entries\n";
  char title[128];
  std::snprintf(title, sizeof title, "pro expire %-11s %-18s %-18s %s\n", "state", "source",
                "virtual", "destination");
  out += title;
  for (const pb::Connection& c : list.connections()) out += row(c, names);
  return out;
}

}  // namespace ha::director
