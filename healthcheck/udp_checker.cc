// UDP_CHECK (keepalived's check_udp.c): one datagram (`payload`, or a single zero byte) on a
// connected UDP socket, then up to connect_timeout for what comes back.
//
// - With require_reply: the first datagram decides; it passes when it starts with the expected
//   bytes (none expected: any reply passes). Silence is kTimeout.
// - Without: a reply passes at once; otherwise the real passes when no ICMP error came back
//   within connect_timeout. That is keepalived's meaning, and slow by design: a healthy real
//   always takes the whole connect_timeout to pass.
// Either way ICMP port unreachable (ECONNREFUSED on the connected socket) fails it at once, as do
// host and net unreachable (IP_RECVERR: without it Linux reports only port and protocol
// unreachable to a UDP socket).
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "healthcheck/checkers.h"
#include "healthcheck/socket_probe_set.h"
#include "healthcheck/socket_util.h"

namespace ha::healthcheck {
namespace {

// The largest UDP payload (65535 - 8): every datagram fits whole, so a reply is never judged on
// a truncated copy. One buffer per checker, shared by its probes: a reply is read and judged
// within one handler.
constexpr size_t kReceiveBufferBytes = 65527;

class UdpChecker final : public Checker, private SocketProbeSet::Judge {
 public:
  explicit UdpChecker(boost::asio::io_context& io)
      : probes_(io, *this), buffer_(std::make_unique<std::array<char, kReceiveBufferBytes>>()) {}

  void probe(const ProbeSpec& spec, Done done) override {
    auto probe = std::make_unique<UdpProbe>();
    probe->start = Clock::now();
    probe->done = std::move(done);
    probe->address = spec.address;
    probe->port = spec.port;
    probe->timeout = spec.connectTimeout;
    probe->requireReply = spec.requireReply;

    SocketError error;
    probe->fd = openProbeSocket(spec, SOCK_DGRAM, error);
    if (probe->fd >= 0) error = connectAndSend(probe->fd, spec);
    if (error) {
      probes_.finishSoon(std::move(probe), ProbeResult::fail(failureReasonForErrno(error.error),
                                                             describeSocketError(spec, error)));
      return;
    }
    probes_.watch(std::move(probe), EPOLLIN, spec.connectTimeout);
  }

 private:
  struct UdpProbe final : SocketProbeSet::Probe {
    IpAddress address;
    uint16_t port = 0;
    Millis timeout{0};
    std::optional<std::string> requireReply;
  };

  static SocketError connectAndSend(int fd, const ProbeSpec& spec) {
    if (SocketError error = enableErrorQueue(fd, spec.address.isV4())) return error;
    bool inProgress = false;
    if (SocketError error = startConnect(fd, spec, inProgress)) return error;
    static constexpr char kZeroByte = 0;
    const std::string_view payload =
        spec.payload.empty() ? std::string_view(&kZeroByte, 1) : spec.payload;
    return sendDatagram(fd, payload);
  }

  std::optional<ProbeResult> onReady(SocketProbeSet::Probe& base, uint32_t events) override {
    auto& probe = static_cast<UdpProbe&>(base);
    const ssize_t received = ::recv(probe.fd, buffer_->data(), buffer_->size(), MSG_DONTWAIT);
    if (received < 0) {
      int error = errno;
      if (error == EAGAIN || error == EWOULDBLOCK || error == EINTR) {
        // An ICMP error whose pending errno was already taken still sits in the error queue and
        // keeps EPOLLERR up: read it rather than wake up for it again and again.
        if ((events & EPOLLERR) != 0) error = takeQueuedError(probe.fd);
        // Readable, then nothing (a datagram dropped on a bad checksum): keep waiting.
        if (error == 0 || error == EAGAIN) return std::nullopt;
      }
      return ProbeResult::fail(
          failureReasonForErrno(error),
          describeSocketError(probe.address, probe.port, {SocketCall::kReceive, error}));
    }
    if (!probe.requireReply) return ProbeResult::pass();
    const std::string_view reply(buffer_->data(), static_cast<size_t>(received));
    if (reply.starts_with(*probe.requireReply)) return ProbeResult::pass();
    return ProbeResult::fail(FailureReason::kReplyMismatch,
                             "reply of " + std::to_string(received) + " bytes from " +
                                 formatEndpoint(probe.address, probe.port) +
                                 " does not start with the " +
                                 std::to_string(probe.requireReply->size()) + " expected bytes");
  }

  ProbeResult onDeadline(SocketProbeSet::Probe& base) override {
    auto& probe = static_cast<UdpProbe&>(base);
    if (!probe.requireReply) return ProbeResult::pass();  // no ICMP error: keepalived's pass
    return ProbeResult::fail(FailureReason::kTimeout,
                             "no reply from " + formatEndpoint(probe.address, probe.port) +
                                 " within " + std::to_string(probe.timeout.count()) + " ms");
  }

  SocketProbeSet probes_;
  std::unique_ptr<std::array<char, kReceiveBufferBytes>> buffer_;
};

}  // namespace

std::unique_ptr<Checker> makeUdpChecker(boost::asio::io_context& io) {
  return std::make_unique<UdpChecker>(io);
}

}  // namespace ha::healthcheck
