// SMTP_CHECK (keepalived's check_smtp.c) on the shared epoll and deadline queues of
// socket_probe_set.h: a non-blocking TCP connect, then the conversation of smtp_dialogue.h. One
// deadline of connect_timeout from the start bounds connect and conversation together, so a
// server trickling its banner cannot hold the probe. Lines we send are a few dozen bytes on a
// fresh connection, so one send() takes them whole. Every close is an RST (SO_LINGER 0,
// socket_util.h): no TIME_WAIT per probe.
#include <sys/epoll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <memory>
#include <optional>
#include <string>

#include "healthcheck/checkers.h"
#include "healthcheck/smtp_dialogue.h"
#include "healthcheck/socket_probe_set.h"
#include "healthcheck/socket_util.h"

namespace ha::healthcheck {
namespace {

constexpr size_t kReadChunkBytes = 4096;

class SmtpChecker final : public Checker, private SocketProbeSet::Judge {
 public:
  explicit SmtpChecker(boost::asio::io_context& io) : probes_(io, *this) {}

  void probe(const ProbeSpec& spec, Done done) override {
    auto probe = std::make_unique<SmtpProbe>(spec.heloName);
    probe->start = Clock::now();
    probe->done = std::move(done);
    probe->address = spec.address;
    probe->port = spec.port;
    probe->timeout = spec.connectTimeout;

    SocketError error;
    probe->fd = openProbeSocket(spec, SOCK_STREAM, error);
    bool inProgress = false;
    if (probe->fd >= 0) error = startConnect(probe->fd, spec, inProgress);
    if (error) {
      probes_.finishSoon(std::move(probe), ProbeResult::fail(failureReasonForErrno(error.error),
                                                             describeSocketError(spec, error)));
      return;
    }
    probe->connected = !inProgress;
    probes_.watch(std::move(probe), inProgress ? EPOLLOUT : EPOLLIN, spec.connectTimeout);
  }

 private:
  struct SmtpProbe final : SocketProbeSet::Probe {
    explicit SmtpProbe(std::string heloName) : dialogue(std::move(heloName)) {}
    IpAddress address;
    uint16_t port = 0;
    Millis timeout{0};
    bool connected = false;
    SmtpDialogue dialogue;
  };

  std::optional<ProbeResult> onReady(SocketProbeSet::Probe& base, uint32_t events) override {
    auto& probe = static_cast<SmtpProbe&>(base);
    if (!probe.connected) {
      if ((events & (EPOLLERR | EPOLLHUP)) != 0) {
        int error = pendingSocketError(probe.fd);
        if (error == 0) error = ECONNRESET;
        return ProbeResult::fail(
            failureReasonForErrno(error),
            describeSocketError(probe.address, probe.port, {SocketCall::kConnect, error}));
      }
      probe.connected = true;
      probe.events = EPOLLIN;  // the set re-arms with this
      return std::nullopt;
    }
    std::array<char, kReadChunkBytes> buffer;
    const ssize_t received = ::recv(probe.fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (received < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return std::nullopt;
      const int error = errno;
      return ProbeResult::fail(
          FailureReason::kClosedEarly,
          describeSocketError(probe.address, probe.port, {SocketCall::kReceive, error}) +
              " while waiting for " + std::string(probe.dialogue.waitingFor()));
    }
    if (received == 0) return probe.dialogue.closed();
    SmtpDialogue::Step step =
        probe.dialogue.feed(std::string_view(buffer.data(), static_cast<size_t>(received)));
    if (step.verdict) return std::move(step.verdict);
    if (!step.send.empty()) {
      const ssize_t sent =
          ::send(probe.fd, step.send.data(), step.send.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (sent < 0 || static_cast<size_t>(sent) != step.send.size()) {
        const int error = sent < 0 ? errno : EMSGSIZE;
        return ProbeResult::fail(
            FailureReason::kClosedEarly,
            describeSocketError(probe.address, probe.port, {SocketCall::kSend, error}));
      }
    }
    return std::nullopt;
  }

  ProbeResult onDeadline(SocketProbeSet::Probe& base) override {
    auto& probe = static_cast<SmtpProbe&>(base);
    const std::string peer = formatEndpoint(probe.address, probe.port);
    const std::string limit = std::to_string(probe.timeout.count()) + " ms";
    if (!probe.connected) {
      return ProbeResult::fail(FailureReason::kConnectTimeout,
                               "connect to " + peer + ": no answer within " + limit);
    }
    return ProbeResult::fail(
        FailureReason::kTimeout,
        "no " + std::string(probe.dialogue.waitingFor()) + " from " + peer + " within " + limit);
  }

  SocketProbeSet probes_;
};

}  // namespace

std::unique_ptr<Checker> makeSmtpChecker(boost::asio::io_context& io) {
  return std::make_unique<SmtpChecker>(io);
}

}  // namespace ha::healthcheck
