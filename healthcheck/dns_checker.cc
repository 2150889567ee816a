// DNS_CHECK (keepalived's check_dns.c): one query (dns_codec.h) on a connected UDP socket, then up
// to connect_timeout for the reply. The real passes on a well-formed response to our question
// with RCODE NOERROR, as keepalived (which checks id, QR and RCODE; we also check the format and
// the question). Replies with another id, and queries, are ignored as keepalived does: they are
// not an answer to this probe. ICMP errors fail it at once (IP_RECVERR, as UDP_CHECK).
#include <sys/epoll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>

#include "healthcheck/checkers.h"
#include "healthcheck/dns_codec.h"
#include "healthcheck/socket_probe_set.h"
#include "healthcheck/socket_util.h"

namespace ha::healthcheck {
namespace {

// EDNS-less DNS over UDP is at most 512 bytes (RFC 1035 §4.2.1); servers that send more are
// read whole so they are judged on what they sent.
constexpr size_t kReceiveBufferBytes = 65535;
constexpr int kDrainPerWakeUp = 64;

class DnsChecker final : public Checker, private SocketProbeSet::Judge {
 public:
  explicit DnsChecker(boost::asio::io_context& io)
      : probes_(io, *this),
        buffer_(std::make_unique<std::array<uint8_t, kReceiveBufferBytes>>()),
        random_(std::random_device{}()) {}

  void probe(const ProbeSpec& spec, Done done) override {
    auto probe = std::make_unique<DnsProbe>();
    probe->start = Clock::now();
    probe->done = std::move(done);
    probe->address = spec.address;
    probe->port = spec.port;
    probe->timeout = spec.connectTimeout;
    // A random id (RFC 5452 §4.3), with the connected socket's address and port filter, keeps a
    // stray or stale datagram from passing for the answer.
    probe->question = DnsQuestion{static_cast<uint16_t>(random_()), spec.dnsType, spec.dnsName};

    SocketError error;
    probe->fd = openProbeSocket(spec, SOCK_DGRAM, error);
    if (probe->fd >= 0) error = enableErrorQueue(probe->fd, spec.address.isV4());
    bool inProgress = false;
    if (!error && probe->fd >= 0) error = startConnect(probe->fd, spec, inProgress);
    if (!error && probe->fd >= 0) error = sendDatagram(probe->fd, encodeDnsQuery(probe->question));
    if (error) {
      probes_.finishSoon(std::move(probe), ProbeResult::fail(failureReasonForErrno(error.error),
                                                             describeSocketError(spec, error)));
      return;
    }
    probes_.watch(std::move(probe), EPOLLIN, spec.connectTimeout);
  }

 private:
  struct DnsProbe final : SocketProbeSet::Probe {
    IpAddress address;
    uint16_t port = 0;
    Millis timeout{0};
    DnsQuestion question;
  };

  std::optional<ProbeResult> onReady(SocketProbeSet::Probe& base, uint32_t events) override {
    auto& probe = static_cast<DnsProbe&>(base);
    // Drain what is queued: a foreign datagram must not hide the answer behind it. Bounded, so a
    // flood of foreign datagrams yields the thread; the rest is read on the next wake-up.
    for (int datagram = 0; datagram < kDrainPerWakeUp; ++datagram) {
      const ssize_t received = ::recv(probe.fd, buffer_->data(), buffer_->size(), MSG_DONTWAIT);
      if (received < 0) {
        int error = errno;
        if (error == EAGAIN || error == EWOULDBLOCK || error == EINTR) {
          if ((events & EPOLLERR) != 0) error = takeQueuedError(probe.fd);
          if (error == 0 || error == EAGAIN || error == EWOULDBLOCK || error == EINTR) {
            return std::nullopt;
          }
        }
        return ProbeResult::fail(
            failureReasonForErrno(error),
            describeSocketError(probe.address, probe.port, {SocketCall::kReceive, error}));
      }
      const DnsReply reply = parseDnsReply(
          std::span<const uint8_t>(buffer_->data(), static_cast<size_t>(received)), probe.question);
      if (reply.kind == DnsReplyKind::kForeign) continue;
      const std::string peer = formatEndpoint(probe.address, probe.port);
      if (reply.kind == DnsReplyKind::kMalformed) {
        return ProbeResult::fail(FailureReason::kBadResponse,
                                 "malformed DNS reply from " + peer + ": " + reply.problem);
      }
      if (reply.rcode != 0) {
        return ProbeResult::fail(FailureReason::kReplyMismatch,
                                 "DNS reply from " + peer + ": " + dnsRcodeName(reply.rcode));
      }
      return ProbeResult::pass();
    }
    return std::nullopt;
  }

  ProbeResult onDeadline(SocketProbeSet::Probe& base) override {
    auto& probe = static_cast<DnsProbe&>(base);
    return ProbeResult::fail(FailureReason::kTimeout,
                             "no DNS reply from " + formatEndpoint(probe.address, probe.port) +
                                 " within " + std::to_string(probe.timeout.count()) + " ms");
  }

  SocketProbeSet probes_;
  std::unique_ptr<std::array<uint8_t, kReceiveBufferBytes>> buffer_;
  std::mt19937 random_;
};

}  // namespace

std::unique_ptr<Checker> makeDnsChecker(boost::asio::io_context& io) {
  return std::make_unique<DnsChecker>(io);
}

}  // namespace ha::healthcheck
