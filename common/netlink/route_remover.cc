#include "common/netlink/route_remover.h"

#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/route.h>
#include <sys/socket.h>

#include <memory>
#include <string>

#include "common/netlink/route_socket.h"

namespace ha {
namespace {

struct RouteDeleter {
  void operator()(rtnl_route* r) const { rtnl_route_put(r); }
};
struct NlAddrDeleter {
  void operator()(nl_addr* a) const { nl_addr_put(a); }
};

int routeType(std::string_view type) {
  if (type == "blackhole") return RTN_BLACKHOLE;
  if (type == "unreachable") return RTN_UNREACHABLE;
  if (type == "prohibit") return RTN_PROHIBIT;
  return RTN_UNICAST;
}

}  // namespace

Status deleteRoute(const IpPrefix& prefix, uint32_t table, std::string_view type) {
  const std::string what = "route del " + prefix.str() + " table " + std::to_string(table) + " type " + std::string(type);
  auto sock = connectRouteSocket();
  if (!sock) return Error{what + ": " + sock.error()};
  const bool v4 = prefix.address.isV4();
  std::unique_ptr<rtnl_route, RouteDeleter> route(rtnl_route_alloc());
  std::unique_ptr<nl_addr, NlAddrDeleter> dst(
      nl_addr_build(v4 ? AF_INET : AF_INET6, prefix.address.bytes(), prefix.address.size()));
  if (!route || !dst) return Error{what + ": out of memory"};
  nl_addr_set_prefixlen(dst.get(), prefix.length);
  rtnl_route_set_family(route.get(), static_cast<uint8_t>(v4 ? AF_INET : AF_INET6));
  if (int rc = rtnl_route_set_dst(route.get(), dst.get()); rc < 0) return Error{what + ": " + nl_geterror(rc)};
  rtnl_route_set_table(route.get(), table);
  rtnl_route_set_type(route.get(), static_cast<uint8_t>(routeType(type)));
  // libnl defaults to "proto static", which the kernel then requires to match: any protocol will do.
  rtnl_route_set_protocol(route.get(), RTPROT_UNSPEC);
  int rc = rtnl_route_delete(sock->get(), route.get(), 0);
  if (rc < 0 && rc != -NLE_OBJ_NOTFOUND && rc != -NLE_NOADDR) return Error{what + ": " + nl_geterror(rc)};
  return okStatus();
}

}  // namespace ha
