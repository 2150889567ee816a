#include "healthcheck/socket_util.h"

// clang-format off
#include <ctime>  // before linux/errqueue.h, which needs struct timespec
#include <linux/errqueue.h>
// clang-format on

#include <netinet/in.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace ha::healthcheck {
namespace {

int familyOf(const IpAddress& address) { return address.isV4() ? AF_INET : AF_INET6; }

bool setFlag(int fd, int level, int option) {
  const int on = 1;
  return ::setsockopt(fd, level, option, &on, sizeof on) == 0;
}

SocketError bindLocal(int fd, int type, const ProbeSpec& spec) {
  if (!spec.bindTo && spec.bindPort == 0) return {};
  if (spec.bindTo && spec.bindTo->family() != spec.address.family()) {
    return {SocketCall::kBindFamily, EAFNOSUPPORT};
  }
  const IpAddress local =
      spec.bindTo ? *spec.bindTo
                  : (spec.address.isV4() ? IpAddress()
                                         : IpAddress::fromBytes(Family::kV6, in6addr_any.s6_addr));
  if (spec.bindPort == 0 && type == SOCK_STREAM) {
    // Without it bind() picks the source port before the destination is known, so one bindto
    // address could hold only ~28k probes at once; with it connect() picks one per 4-tuple.
    // Best effort: an older kernel only loses that headroom.
    setFlag(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT);
  }
  // A fixed bind_port is taken again by the next probe of the same real.
  if (spec.bindPort != 0) setFlag(fd, SOL_SOCKET, SO_REUSEADDR);
  const SocketAddress address = socketAddress(local, spec.bindPort);
  if (::bind(fd, address.get(), address.length) != 0) return {SocketCall::kBind, errno};
  return {};
}

std::string errnoText(int error) { return std::generic_category().message(error); }

}  // namespace

SocketAddress socketAddress(const IpAddress& address, uint16_t port) {
  SocketAddress result;
  if (address.isV4()) {
    sockaddr_in v4{};
    v4.sin_family = AF_INET;
    v4.sin_port = htons(port);
    std::memcpy(&v4.sin_addr, address.bytes(), 4);
    std::memcpy(&result.storage, &v4, sizeof v4);
    result.length = sizeof v4;
  } else {
    sockaddr_in6 v6{};
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(port);
    std::memcpy(&v6.sin6_addr, address.bytes(), 16);
    std::memcpy(&result.storage, &v6, sizeof v6);
    result.length = sizeof v6;
  }
  return result;
}

int openProbeSocket(const ProbeSpec& spec, int type, SocketError& error) {
  const int fd = ::socket(familyOf(spec.address), type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = {SocketCall::kSocket, errno};
    return -1;
  }
  if (type == SOCK_STREAM) {
    // Every close becomes an RST: a FIN close would leave each probe in TIME_WAIT for 60 s on our
    // side (600k sockets at 10k probes/s) and cost a FIN/ACK exchange per probe on both ends. The
    // probe has nothing to flush, so aborting loses nothing.
    const linger abortive{1, 0};
    if (::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive) != 0) {
      error = {SocketCall::kSetOption, errno};
      ::close(fd);
      return -1;
    }
  }
  if (SocketError bound = bindLocal(fd, type, spec)) {
    error = bound;
    ::close(fd);
    return -1;
  }
  return fd;
}

SocketError startConnect(int fd, const ProbeSpec& spec, bool& inProgress) {
  const SocketAddress remote = socketAddress(spec.address, spec.port);
  inProgress = false;
  if (::connect(fd, remote.get(), remote.length) == 0) return {};
  if (errno == EINPROGRESS) {
    inProgress = true;
    return {};
  }
  return {SocketCall::kConnect, errno};
}

SocketError sendDatagram(int fd, std::string_view bytes) {
  const ssize_t sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  if (sent < 0) return {SocketCall::kSend, errno};
  if (static_cast<size_t>(sent) != bytes.size()) return {SocketCall::kSend, EMSGSIZE};
  return {};
}

SocketError enableErrorQueue(int fd, bool v4) {
  const int on = 1;
  if (::setsockopt(fd, v4 ? IPPROTO_IP : IPPROTO_IPV6, v4 ? IP_RECVERR : IPV6_RECVERR, &on,
                   sizeof on) != 0) {
    return {SocketCall::kSetOption, errno};
  }
  return {};
}

// The errno of the first ICMP error in the socket's error queue (IP_RECVERR), 0 if none.
int takeQueuedError(int fd) {
  alignas(cmsghdr) std::array<char, 512> control{};
  msghdr message{};
  message.msg_control = control.data();
  message.msg_controllen = control.size();
  if (::recvmsg(fd, &message, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) return 0;
  for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr;
       header = CMSG_NXTHDR(&message, header)) {
    const bool ipError = (header->cmsg_level == IPPROTO_IP && header->cmsg_type == IP_RECVERR) ||
                         (header->cmsg_level == IPPROTO_IPV6 && header->cmsg_type == IPV6_RECVERR);
    if (!ipError) continue;
    sock_extended_err error;
    std::memcpy(&error, CMSG_DATA(header), sizeof error);
    return static_cast<int>(error.ee_errno);
  }
  return 0;
}

FailureReason failureReasonForErrno(int error) {
  switch (error) {
    case ECONNREFUSED:
    case ECONNRESET:
      return FailureReason::kConnectRefused;
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EHOSTDOWN:
    case ENETDOWN:
      return FailureReason::kUnreachable;
    case ETIMEDOUT:
      return FailureReason::kConnectTimeout;
    default:
      return FailureReason::kLocalError;
  }
}

int pendingSocketError(int fd) {
  int error = 0;
  socklen_t length = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return errno;
  return error;
}

std::string describeSocketError(const IpAddress& address, uint16_t port, const SocketError& error) {
  const std::string peer = formatEndpoint(address, port);
  const std::string text = errnoText(error.error);
  switch (error.call) {
    case SocketCall::kSocket:
      return "socket: " + text;
    case SocketCall::kSetOption:
      return "setsockopt: " + text;
    case SocketCall::kConnect:
      return "connect to " + peer + ": " + text;
    case SocketCall::kSend:
      return "send to " + peer + ": " + text;
    case SocketCall::kReceive:
      return "receive from " + peer + ": " + text;
    case SocketCall::kBindFamily:
    case SocketCall::kBind:
      break;  // need the spec: see below
  }
  return "bind: " + text;
}

std::string describeSocketError(const ProbeSpec& spec, const SocketError& error) {
  if (error.call == SocketCall::kBindFamily) {
    return "bindto " + spec.bindTo->str() + " is not of the address family of " +
           spec.address.str();
  }
  if (error.call == SocketCall::kBind) {
    const std::string local = spec.bindTo ? spec.bindTo->str() : std::string("any address");
    return "bind to " + local + " port " + std::to_string(spec.bindPort) + ": " +
           errnoText(error.error);
  }
  return describeSocketError(spec.address, spec.port, error);
}

}  // namespace ha::healthcheck
