#include "director/ctl/lookup_request.h"

#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>

namespace ha::director {
namespace {

struct ProtocolNames {
  uint8_t l4proto;
  std::string_view name;
};

std::optional<ProtocolNames> parseProtocol(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "tcp") return ProtocolNames{IPPROTO_TCP, "TCP"};
  if (lower == "udp") return ProtocolNames{IPPROTO_UDP, "UDP"};
  return std::nullopt;
}

Result<IpAddress> parseAddress(std::string_view field, const std::string& text) {
  auto address = IpAddress::parse(text);
  if (!address) return Error{std::string(field) + " \"" + text + "\" is not an IP address"};
  return *address;
}

// proto3 has no uint16; a port arrives as uint32 and 0 is what an unset field reads as.
Result<uint16_t> parsePort(std::string_view field, uint32_t value) {
  if (value == 0 || value > 65535) {
    return Error{std::string(field) + " " + std::to_string(value) + " out of range 1-65535"};
  }
  return static_cast<uint16_t>(value);
}

}  // namespace

Result<LookupTarget> checkLookupRequest(const directord::admin::LookupRequest& request) {
  LookupTarget t;
  auto protocol = parseProtocol(request.protocol());
  if (!protocol) {
    return Error{"protocol \"" + request.protocol() + "\" not supported: use tcp or udp"};
  }
  t.l4proto = protocol->l4proto;
  t.protocolName = std::string(protocol->name);
  auto source = parseAddress("source", request.source());
  if (!source) return Error{source.error()};
  auto vip = parseAddress("VIP", request.vip());
  if (!vip) return Error{vip.error()};
  if (source->family() != vip->family()) {
    return Error{"source " + source->str() + " and VIP " + vip->str() +
                 " are of different address families"};
  }
  auto sourcePort = parsePort("source port", request.source_port());
  if (!sourcePort) return Error{sourcePort.error()};
  auto vipPort = parsePort("VIP port", request.vip_port());
  if (!vipPort) return Error{vipPort.error()};
  t.source = *source;
  t.vip = *vip;
  t.sourcePort = *sourcePort;
  t.vipPort = *vipPort;
  return t;
}

}  // namespace ha::director
