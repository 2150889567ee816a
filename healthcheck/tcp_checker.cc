// TCP_CHECK (keepalived's check_tcp.c): the real passes when a TCP connection to connect_ip:
// connect_port completes within connect_timeout. The connection is reset at once: nothing is
// sent, and neither side keeps any state after the probe (no FIN exchange, no TIME_WAIT).
//
// Built for 10k reals at delay_loop 1: one allocation per probe (its state, which owns the
// caller's callback), no string on the success path, the shared epoll and deadline queues of
// socket_probe_set.h instead of an Asio socket and timer per probe, and sockets reused across
// probes (IdleSockets below).
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "healthcheck/checkers.h"
#include "healthcheck/socket_probe_set.h"
#include "healthcheck/socket_util.h"

namespace ha::healthcheck {
namespace {

// TCP sockets kept between probes. connect(AF_UNSPEC) on a TCP socket is tcp_disconnect(): an RST
// if a connection exists (as close() with SO_LINGER 0 would send), then back to CLOSED with its
// options (SO_LINGER) kept and its ephemeral port released, ready for the next connect().
// Reusing one skips socket(), setsockopt(), close() and the epoll_ctl ADD, which measured about a
// quarter of a probe's whole CPU cost on loopback. Only sockets without bindto/bind_port are
// kept, so any idle socket serves any probe of its family.
class IdleSockets {
 public:
  IdleSockets() = default;
  IdleSockets(const IdleSockets&) = delete;
  IdleSockets& operator=(const IdleSockets&) = delete;
  ~IdleSockets() {
    for (const auto& family : idle_) {
      for (int fd : family) ::close(fd);
    }
  }

  // -1 if none is idle.
  int take(bool v4) {
    std::vector<int>& family = idle_[v4 ? 0 : 1];
    if (family.empty()) return -1;
    const int fd = family.back();
    family.pop_back();
    return fd;
  }

  // Disconnects `fd` and keeps it; false (the caller closes it) if that fails or enough are idle.
  bool keep(int fd, bool v4) {
    std::vector<int>& family = idle_[v4 ? 0 : 1];
    if (family.size() >= kMaxIdlePerFamily) return false;
    sockaddr unspecified{};
    unspecified.sa_family = AF_UNSPEC;
    if (::connect(fd, &unspecified, sizeof unspecified) != 0) return false;
    family.push_back(fd);
    return true;
  }

 private:
  // Probes in flight at once is rate x latency, a few dozen for 10k healthy reals a second; a
  // burst of timeouts beyond this many closes its sockets rather than keep them forever.
  static constexpr size_t kMaxIdlePerFamily = 256;
  std::vector<int> idle_[2];
};

class TcpChecker final : public Checker, private SocketProbeSet::Judge {
 public:
  explicit TcpChecker(boost::asio::io_context& io) : probes_(io, *this) {}

  void probe(const ProbeSpec& spec, Done done) override {
    auto probe = std::make_unique<TcpProbe>();
    probe->start = Clock::now();
    probe->done = std::move(done);
    probe->address = spec.address;
    probe->port = spec.port;
    probe->timeout = spec.connectTimeout;
    probe->reusable = !spec.bindTo && spec.bindPort == 0;

    SocketError error;
    if (probe->reusable) probe->fd = idle_.take(spec.address.isV4());
    if (probe->fd >= 0) {
      probe->registered = true;  // every idle socket was watched before
    } else {
      probe->fd = openProbeSocket(spec, SOCK_STREAM, error);
    }
    bool inProgress = false;
    if (probe->fd >= 0) error = startConnect(probe->fd, spec, inProgress);
    if (error) {
      probes_.finishSoon(std::move(probe), ProbeResult::fail(failureReasonForErrno(error.error),
                                                             describeSocketError(spec, error)));
    } else if (!inProgress) {
      probes_.finishSoon(std::move(probe), ProbeResult::pass());  // connected at once
    } else {
      probes_.watch(std::move(probe), EPOLLOUT, spec.connectTimeout);
    }
  }

 private:
  struct TcpProbe final : SocketProbeSet::Probe {
    IpAddress address;  // for failure details only
    uint16_t port = 0;
    Millis timeout{0};
    bool reusable = false;
  };

  // Writable without an error: the handshake completed. The event flags say so, which spares
  // the getsockopt(SO_ERROR) on the success path.
  std::optional<ProbeResult> onReady(SocketProbeSet::Probe& base, uint32_t events) override {
    if ((events & (EPOLLERR | EPOLLHUP)) == 0) return ProbeResult::pass();
    auto& probe = static_cast<TcpProbe&>(base);
    // Connected and then reset (or closed) before we looked: the real took the connection and
    // threw it away, which a client would see as a refusal.
    int error = pendingSocketError(probe.fd);
    if (error == 0) error = ECONNRESET;
    return ProbeResult::fail(
        failureReasonForErrno(error),
        describeSocketError(probe.address, probe.port, {SocketCall::kConnect, error}));
  }

  ProbeResult onDeadline(SocketProbeSet::Probe& base) override {
    auto& probe = static_cast<TcpProbe&>(base);
    return ProbeResult::fail(FailureReason::kConnectTimeout,
                             "connect to " + formatEndpoint(probe.address, probe.port) +
                                 ": no answer within " + std::to_string(probe.timeout.count()) +
                                 " ms");
  }

  // The RST goes out here, from tcp_disconnect() for a kept socket or from close() otherwise.
  void retire(SocketProbeSet::Probe& base) override {
    auto& probe = static_cast<TcpProbe&>(base);
    // Only a socket already in the epoll instance: a reused one is re-armed with EPOLL_CTL_MOD.
    if (probe.reusable && probe.registered && idle_.keep(probe.fd, probe.address.isV4()))
      probe.fd = -1;
  }

  IdleSockets idle_;
  SocketProbeSet probes_;
};

}  // namespace

std::unique_ptr<Checker> makeTcpChecker(boost::asio::io_context& io) {
  return std::make_unique<TcpChecker>(io);
}

}  // namespace ha::healthcheck
