#pragma once
// Real loopback peers for the TCP, UDP and checker-set tests, all on port 0 and driven from the
// test thread (no threads): a listener, a listener that answers no SYN, a refusing port, and a
// bounded io_context loop. Every wait is bounded.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/ip_address.h"
#include "healthcheck/checker.h"
#include "healthcheck/socket_util.h"

namespace ha::healthcheck::peers {

using namespace std::chrono_literals;

inline IpAddress ip(const char* text) { return *IpAddress::parse(text); }

inline ProbeSpec spec(CheckKind kind, const IpAddress& address, uint16_t port,
                      Millis timeout = 300ms) {
  ProbeSpec s;
  s.kind = kind;
  s.address = address;
  s.port = port;
  s.connectTimeout = timeout;
  return s;
}

using Endpoint = std::pair<IpAddress, uint16_t>;

inline Endpoint endpointOf(const sockaddr_storage& storage) {
  if (storage.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&storage);
    return {IpAddress::fromBytes(Family::kV4, reinterpret_cast<const uint8_t*>(&v4->sin_addr)),
            ntohs(v4->sin_port)};
  }
  const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&storage);
  return {IpAddress::fromBytes(Family::kV6, v6->sin6_addr.s6_addr), ntohs(v6->sin6_port)};
}

inline Endpoint localEndpoint(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof storage;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length);
  return endpointOf(storage);
}

// A socket bound to address:0, closed with the object.
class BoundSocket {
 public:
  BoundSocket(const IpAddress& address, int type) {
    fd_ = ::socket(address.isV4() ? AF_INET : AF_INET6, type | SOCK_CLOEXEC, 0);
    const SocketAddress local = socketAddress(address, 0);
    EXPECT_EQ(::bind(fd_, local.get(), local.length), 0) << "bind " << address.str();
    port_ = localEndpoint(fd_).second;
  }
  ~BoundSocket() { ::close(fd_); }
  BoundSocket(const BoundSocket&) = delete;
  BoundSocket& operator=(const BoundSocket&) = delete;
  int fd() const { return fd_; }
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// Listens but never accepts on its own: the kernel completes every handshake (up to `backlog`).
class TcpListener : public BoundSocket {
 public:
  explicit TcpListener(const IpAddress& address = ip("127.0.0.1"), int backlog = 4096)
      : BoundSocket(address, SOCK_STREAM) {
    EXPECT_EQ(::listen(fd(), backlog), 0);
  }
  // The peer of the next queued connection, or nullopt after `wait`. accept(2) reports the
  // peer even when the connection was already reset (getpeername would not).
  std::optional<Endpoint> acceptPeer(std::chrono::milliseconds wait = 1s) {
    pollfd readable{fd(), POLLIN, 0};
    if (::poll(&readable, 1, static_cast<int>(wait.count())) != 1) return std::nullopt;
    sockaddr_storage peer{};
    socklen_t length = sizeof peer;
    const int connection =
        ::accept4(fd(), reinterpret_cast<sockaddr*>(&peer), &length, SOCK_CLOEXEC);
    if (connection < 0) return std::nullopt;
    ::close(connection);
    return endpointOf(peer);
  }
};

// A port where SYNs go unanswered: listen(0) admits one connection to the accept queue, and once
// that is full Linux drops new SYNs (tcp_conn_request), so a connect neither completes nor fails
// until the client gives up. Two non-blocking fillers make sure the queue is full.
class SilentTcpPort {
 public:
  SilentTcpPort() : listener_(ip("127.0.0.1"), 0) {
    for (int i = 0; i < 2; ++i) {
      const int filler = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      const SocketAddress target = socketAddress(ip("127.0.0.1"), listener_.port());
      (void)::connect(filler, target.get(), target.length);  // non-blocking: EINPROGRESS
      fillers_.push_back(filler);
    }
    pollfd first{fillers_[0], POLLOUT, 0};
    EXPECT_EQ(::poll(&first, 1, 1000), 1) << "the first filler should be accepted into the queue";
  }
  ~SilentTcpPort() {
    for (int filler : fillers_) ::close(filler);
  }
  SilentTcpPort(const SilentTcpPort&) = delete;
  SilentTcpPort& operator=(const SilentTcpPort&) = delete;
  uint16_t port() const { return listener_.port(); }

 private:
  TcpListener listener_;
  std::vector<int> fillers_;
};

// Runs `io` until `done()` or `limit` of real time; the checkers need real sockets and time.
inline bool runUntil(boost::asio::io_context& io, const std::function<bool()>& done,
                     std::chrono::milliseconds limit = 3s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    io.restart();
    io.run_one_for(10ms);
  }
  return true;
}

// Runs `io` for `duration` whatever happens.
inline void runFor(boost::asio::io_context& io, std::chrono::milliseconds duration) {
  const auto deadline = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_one_for(5ms);
  }
}

inline size_t openDescriptors() {
  size_t count = 0;
  if (DIR* dir = ::opendir("/proc/self/fd")) {
    while (::readdir(dir) != nullptr) ++count;
    ::closedir(dir);
  }
  return count;
}

// Collects every result of one checker; `calls` counts them so a second call shows.
struct Results {
  std::vector<ProbeResult> all;
  Checker::Done callback() {
    return [this](ProbeResult result) { all.push_back(std::move(result)); };
  }
};

}  // namespace ha::healthcheck::peers
