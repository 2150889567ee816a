#pragma once
// One datagram out of a raw or packet socket, never blocking: adverts and announcements alike. A
// full send buffer is an error for the caller to count, not a wait (VRRP timing never waits).
#include <sys/socket.h>

#include <cstddef>

#include "common/result.h"

namespace ha::vrrp {

// sendmsg(MSG_DONTWAIT), retried on EINTR; raw and packet sockets never send part of a datagram,
// so a short count is reported as an error.
Status sendDatagram(int fd, const msghdr& msg, size_t length);

}  // namespace ha::vrrp
