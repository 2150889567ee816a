#include "common/netlink/route_socket.h"

#include <netlink/errno.h>
#include <netlink/netlink.h>

namespace ha {

void NlSocketCloser::operator()(nl_sock* sock) const { nl_socket_free(sock); }

Result<RouteSocket> connectRouteSocket() {
  RouteSocket sock(nl_socket_alloc());
  if (!sock) return Error{"rtnetlink: out of memory"};
  if (int rc = nl_connect(sock.get(), NETLINK_ROUTE); rc < 0) {
    return Error{std::string("rtnetlink: cannot connect: ") + nl_geterror(rc)};
  }
  return sock;
}

std::string nlError(int rc) {
  if (rc == -NLE_OBJ_NOTFOUND || rc == -NLE_NODEV) return std::string(kNoSuchDevice);
  return nl_geterror(rc);
}

}  // namespace ha
