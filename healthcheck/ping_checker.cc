// PING_CHECK (keepalived's check_ping.c): one ICMP or ICMPv6 echo request to the real, which
// passes when its echo reply comes back within connect_timeout. An unprivileged ping socket
// (SOCK_DGRAM + IPPROTO_ICMP[V6]; allowed when our group is in net.ipv4.ping_group_range) is
// used when the kernel allows it, else a raw socket. keepalived writes ping_group_range to allow
// itself; we leave the sysctl to the operator and fall back instead. Replies are matched by
// sequence, id (raw sockets; a ping socket's kernel matches the id itself) and a per-probe token
// in the payload, so another process's pings and stale replies are ignored. ICMP errors fail the
// probe at once: destination unreachable quoting our request on a raw socket, IP_RECVERR on a
// ping socket.
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <system_error>

#include "healthcheck/checkers.h"
#include "healthcheck/icmp_echo.h"
#include "healthcheck/socket_probe_set.h"
#include "healthcheck/socket_util.h"

namespace ha::healthcheck {
namespace {

constexpr size_t kReceiveBufferBytes = 65535;
constexpr int kDrainPerWakeUp = 64;

class PingChecker final : public Checker, private SocketProbeSet::Judge {
 public:
  explicit PingChecker(boost::asio::io_context& io)
      : probes_(io, *this),
        buffer_(std::make_unique<std::array<uint8_t, kReceiveBufferBytes>>()),
        random_((uint64_t{std::random_device{}()} << 32) | std::random_device{}()),
        id_(static_cast<uint16_t>(random_())) {}

  void probe(const ProbeSpec& spec, Done done) override {
    auto probe = std::make_unique<PingProbe>();
    probe->start = Clock::now();
    probe->done = std::move(done);
    probe->address = spec.address;
    probe->timeout = spec.connectTimeout;
    probe->echo = EchoId{id_, sequence_++, random_()};
    probe->reading.v6 = !spec.address.isV4();

    SocketError error = open(*probe, spec);
    if (!error) error = sendDatagram(probe->fd, encodeEchoRequest(probe->reading.v6, probe->echo));
    if (error) {
      probes_.finishSoon(std::move(probe),
                         ProbeResult::fail(failureReasonForErrno(error.error),
                                           describeSocketError(spec.address, 0, error)));
      return;
    }
    probes_.watch(std::move(probe), EPOLLIN, spec.connectTimeout);
  }

 private:
  struct PingProbe final : SocketProbeSet::Probe {
    IpAddress address;
    Millis timeout{0};
    EchoId echo;
    IcmpReading reading;
  };

  // A ping socket when allowed (remembered per family), else a raw one; bound to bindto,
  // connected to the real so the kernel filters other sources.
  SocketError open(PingProbe& probe, const ProbeSpec& spec) {
    const bool v4 = spec.address.isV4();
    const int family = v4 ? AF_INET : AF_INET6;
    const int protocol = v4 ? int{IPPROTO_ICMP} : int{IPPROTO_ICMPV6};
    const int flags = SOCK_NONBLOCK | SOCK_CLOEXEC;
    bool& pingSocketsRefused = pingSocketsRefused_[v4 ? 0 : 1];
    if (!pingSocketsRefused) {
      probe.fd = ::socket(family, SOCK_DGRAM | flags, protocol);
      if (probe.fd < 0 && (errno == EACCES || errno == EPERM || errno == EPROTONOSUPPORT)) {
        pingSocketsRefused = true;
      } else if (probe.fd < 0) {
        return {SocketCall::kSocket, errno};
      }
    }
    probe.reading.checkId = probe.fd < 0;  // raw sockets see every id; ping sockets their own
    if (probe.fd < 0) {
      probe.fd = ::socket(family, SOCK_RAW | flags, protocol);
      if (probe.fd < 0) return {SocketCall::kSocket, errno};
      probe.reading.withIpHeader = v4;
    }
    if (SocketError error = enableErrorQueue(probe.fd, v4)) return error;
    if (spec.bindTo) {
      if (spec.bindTo->family() != spec.address.family())
        return {SocketCall::kBindFamily, EAFNOSUPPORT};
      const SocketAddress local = socketAddress(*spec.bindTo, 0);
      if (::bind(probe.fd, local.get(), local.length) != 0) return {SocketCall::kBind, errno};
    }
    const SocketAddress remote = socketAddress(spec.address, 0);
    if (::connect(probe.fd, remote.get(), remote.length) != 0) return {SocketCall::kConnect, errno};
    return {};
  }

  std::optional<ProbeResult> onReady(SocketProbeSet::Probe& base, uint32_t events) override {
    auto& probe = static_cast<PingProbe&>(base);
    for (int packet = 0; packet < kDrainPerWakeUp; ++packet) {
      const ssize_t received = ::recv(probe.fd, buffer_->data(), buffer_->size(), MSG_DONTWAIT);
      if (received < 0) {
        int error = errno;
        if (error == EAGAIN || error == EWOULDBLOCK || error == EINTR) {
          if ((events & EPOLLERR) != 0) error = takeQueuedError(probe.fd);
          if (error == 0 || error == EAGAIN || error == EWOULDBLOCK || error == EINTR) {
            return std::nullopt;
          }
        }
        return ProbeResult::fail(failureReasonForErrno(error),
                                 "echo to " + probe.address.str() + ": " + errnoMessage(error));
      }
      switch (classifyIcmp(std::span<const uint8_t>(buffer_->data(), static_cast<size_t>(received)),
                           probe.echo, probe.reading)) {
        case IcmpMatch::kReply:
          return ProbeResult::pass();
        case IcmpMatch::kUnreachable:
          return ProbeResult::fail(FailureReason::kUnreachable,
                                   "echo to " + probe.address.str() + ": ICMP error in reply");
        case IcmpMatch::kForeign:
          break;
      }
    }
    return std::nullopt;
  }

  ProbeResult onDeadline(SocketProbeSet::Probe& base) override {
    auto& probe = static_cast<PingProbe&>(base);
    return ProbeResult::fail(FailureReason::kTimeout,
                             "no echo reply from " + probe.address.str() + " within " +
                                 std::to_string(probe.timeout.count()) + " ms");
  }

  static std::string errnoMessage(int error) { return std::generic_category().message(error); }

  SocketProbeSet probes_;
  std::unique_ptr<std::array<uint8_t, kReceiveBufferBytes>> buffer_;
  std::mt19937_64 random_;
  uint16_t id_;
  uint16_t sequence_ = 0;
  bool pingSocketsRefused_[2] = {false, false};
};

}  // namespace

std::unique_ptr<Checker> makePingChecker(boost::asio::io_context& io) {
  return std::make_unique<PingChecker>(io);
}

}  // namespace ha::healthcheck
