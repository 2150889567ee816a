#pragma once
// Raw-socket helpers shared by TCP_CHECK and UDP_CHECK: open and bind a probe socket, start its
// connect, and turn an errno into a FailureReason. Nothing here builds a string unless a probe
// fails, so the success path of a probe stays allocation-free.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/ip_address.h"
#include "healthcheck/checker.h"
#include "healthcheck/health_config.h"

namespace ha::healthcheck {

// An address ready for bind(2)/connect(2).
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};
SocketAddress socketAddress(const IpAddress& address, uint16_t port);

// Which step failed, and its errno (0: none).
enum class SocketCall : uint8_t {
  kSocket,
  kSetOption,
  kBindFamily,
  kBind,
  kConnect,
  kSend,
  kReceive
};
struct SocketError {
  SocketCall call = SocketCall::kSocket;
  int error = 0;
  explicit operator bool() const { return error != 0; }
};

// socket(type) in spec.address's family, non-blocking and close-on-exec, bound to bindto and
// bind_port when set. SOCK_STREAM sockets get SO_LINGER {1, 0}: see openProbeSocket's body.
// Returns the descriptor, or -1 with `error` set (nothing left open).
int openProbeSocket(const ProbeSpec& spec, int type, SocketError& error);

// connect(2) to spec.address:spec.port. EINPROGRESS is no error: the caller waits for writability.
SocketError startConnect(int fd, const ProbeSpec& spec, bool& inProgress);

// IP_RECVERR / IPV6_RECVERR: without it Linux reports only port and protocol unreachable to a
// UDP or ICMP socket, with it host and net unreachable too (through the error queue).
SocketError enableErrorQueue(int fd, bool v4);
// send(2) of one whole datagram on a connected socket; a short send is EMSGSIZE.
SocketError sendDatagram(int fd, std::string_view bytes);
// The errno of the first ICMP error in the socket's error queue (IP_RECVERR), 0 if none.
int takeQueuedError(int fd);

// ECONNREFUSED/ECONNRESET -> kConnectRefused; EHOSTUNREACH, ENETUNREACH, EHOSTDOWN, ENETDOWN ->
// kUnreachable; ETIMEDOUT -> kConnectTimeout; anything else (EADDRNOTAVAIL, EPERM from a local
// firewall, EMFILE...) -> kLocalError.
FailureReason failureReasonForErrno(int error);

// The pending error of a socket (getsockopt SO_ERROR), 0 if none.
int pendingSocketError(int fd);

// "connect to 192.0.2.1:80: Connection refused", "bind to 127.0.0.2 port 0: ...",
// "bindto 2001:db8::1 is not of the address family of 192.0.2.1".
std::string describeSocketError(const ProbeSpec& spec, const SocketError& error);
// The same for a step after set-up, when only the peer is at hand.
std::string describeSocketError(const IpAddress& address, uint16_t port, const SocketError& error);

}  // namespace ha::healthcheck
