#include "vrrp/send_datagram.h"

#include <cerrno>
#include <cstring>
#include <string>

namespace ha::vrrp {

Status sendDatagram(int fd, const msghdr& msg, size_t length) {
  ssize_t n;
  do {
    n = ::sendmsg(fd, &msg, MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Error{"socket send buffer full"};
    return Error{std::strerror(errno)};
  }
  if (static_cast<size_t>(n) != length) return Error{"short send"};
  return okStatus();
}

}  // namespace ha::vrrp
