#include "healthcheck/http_exchange.h"

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <cstring>

#include "common/ip_address.h"
#include "healthcheck/http_checker.h"
#include "healthcheck/tls_client.h"

namespace ha::healthcheck {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// One read's worth; the parser copies only head lines, so this is all the per-read memory.
constexpr size_t kReadChunkBytes = 4096;

asio::ip::address toAsio(const IpAddress& address) {
  if (address.isV4()) {
    asio::ip::address_v4::bytes_type bytes;
    std::memcpy(bytes.data(), address.bytes(), bytes.size());
    return asio::ip::address_v4(bytes);
  }
  asio::ip::address_v6::bytes_type bytes;
  std::memcpy(bytes.data(), address.bytes(), bytes.size());
  return asio::ip::address_v6(bytes);
}

std::string millisText(Millis duration) { return std::to_string(duration.count()) + " ms"; }

}  // namespace

FailureReason connectFailureReason(const boost::system::error_code& error) {
  namespace e = asio::error;
  if (error == e::connection_refused || error == e::connection_reset) {
    return FailureReason::kConnectRefused;
  }
  if (error == e::host_unreachable || error == e::network_unreachable || error == e::network_down ||
      error == e::host_not_found) {
    return FailureReason::kUnreachable;
  }
  if (error == e::timed_out) return FailureReason::kConnectTimeout;
  return FailureReason::kLocalError;
}

std::shared_ptr<HttpExchange> HttpExchange::start(asio::io_context& io,
                                                  std::shared_ptr<const ProbeSpec> spec,
                                                  size_t urlIndex,
                                                  std::shared_ptr<asio::ssl::context> tls,
                                                  Verdict verdict) {
  auto exchange = std::make_shared<HttpExchange>(Private{}, io, std::move(spec), urlIndex,
                                                 std::move(tls), std::move(verdict));
  exchange->begin();
  return exchange;
}

HttpExchange::HttpExchange(Private, asio::io_context& io, std::shared_ptr<const ProbeSpec> spec,
                           size_t urlIndex, std::shared_ptr<asio::ssl::context> tls,
                           Verdict verdict)
    : io_(io),
      spec_(std::move(spec)),
      urlIndex_(urlIndex),
      tlsContext_(std::move(tls)),
      verdict_(std::move(verdict)),
      deadline_(io),
      socket_(io),
      response_(parseOptionsFor(spec_->urls[urlIndex])) {}

std::string HttpExchange::peer() const { return formatEndpoint(spec_->address, spec_->port); }

void HttpExchange::begin() {
  deadline_.expires_after(spec_->connectTimeout);
  deadline_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
    if (!error) self->onDeadline();
  });
  if (auto opened = openSocket(); !opened) {
    concludeSoon(ProbeResult::fail(FailureReason::kLocalError, opened.error()));
    return;
  }
  phase_ = Phase::kConnecting;
  socket_.async_connect(tcp::endpoint(toAsio(spec_->address), spec_->port),
                        [self = shared_from_this()](const boost::system::error_code& error) {
                          self->onConnected(error);
                        });
}

Status HttpExchange::openSocket() {
  const tcp::endpoint remote(toAsio(spec_->address), spec_->port);
  boost::system::error_code error;
  socket_.open(remote.protocol(), error);
  if (error) return Error{"socket: " + error.message()};
  // Every close becomes an RST: no TIME_WAIT per probe, and a peer still sending learns at once.
  socket_.set_option(asio::socket_base::linger(true, 0), error);
  if (error) return Error{"SO_LINGER: " + error.message()};
  if (!spec_->bindTo && spec_->bindPort == 0) return okStatus();

  asio::ip::address local = remote.address().is_v4()
                                ? asio::ip::address(asio::ip::address_v4::any())
                                : asio::ip::address(asio::ip::address_v6::any());
  if (spec_->bindTo) {
    if (spec_->bindTo->family() != spec_->address.family()) {
      return Error{"bindto " + spec_->bindTo->str() + " is not of the family of " +
                   spec_->address.str()};
    }
    local = toAsio(*spec_->bindTo);
  }
  // A fixed bind_port is reused by the next probe while this one's socket may still exist.
  if (spec_->bindPort != 0) socket_.set_option(asio::socket_base::reuse_address(true), error);
  socket_.bind(tcp::endpoint(local, spec_->bindPort), error);
  if (error) {
    const std::string where = spec_->bindTo ? spec_->bindTo->str() : std::string("any address");
    return Error{"bind to " + where + " port " + std::to_string(spec_->bindPort) + ": " +
                 error.message()};
  }
  return okStatus();
}

void HttpExchange::onDeadline() {
  if (finished_) return;
  const std::string limit = millisText(spec_->connectTimeout);
  switch (phase_) {
    case Phase::kConnecting:
      conclude(ProbeResult::fail(FailureReason::kConnectTimeout,
                                 "no connection to " + peer() + " within " + limit));
      return;
    case Phase::kHandshaking:
      conclude(ProbeResult::fail(FailureReason::kTimeout,
                                 "TLS handshake with " + peer() + " not done within " + limit));
      return;
    case Phase::kSending:
    case Phase::kReceiving:
      conclude(ProbeResult::fail(FailureReason::kTimeout,
                                 "no complete response to " + url().path + " within " + limit +
                                     " (" + std::to_string(response_.bytesConsumed()) +
                                     " bytes received)"));
      return;
  }
}

void HttpExchange::onConnected(const boost::system::error_code& error) {
  if (finished_) return;
  if (error) {
    conclude(ProbeResult::fail(connectFailureReason(error),
                               "connect to " + peer() + ": " + error.message()));
    return;
  }
  if (!tlsContext_) {
    sendRequest();
    return;
  }
  // The TLS stream (two 17 KB record buffers in asio) is made only now: a probe of a dead real
  // spends its whole life connecting and should cost no more than a socket.
  tls_.emplace(socket_, *tlsContext_);
  if (auto prepared = prepareTlsClient(tls_->native_handle(), *spec_); !prepared) {
    conclude(ProbeResult::fail(FailureReason::kLocalError, prepared.error()));
    return;
  }
  phase_ = Phase::kHandshaking;
  tls_->async_handshake(
      asio::ssl::stream_base::client,
      [self = shared_from_this()](const boost::system::error_code& handshakeError) {
        self->onHandshake(handshakeError);
      });
}

void HttpExchange::onHandshake(const boost::system::error_code& error) {
  if (finished_) return;
  if (error) {
    conclude(tlsHandshakeFailure(tls_->native_handle(), *spec_, error));
    return;
  }
  sendRequest();
}

void HttpExchange::sendRequest() {
  auto request = httpGetRequest(*spec_, url());
  if (!request) {
    conclude(ProbeResult::fail(FailureReason::kLocalError, request.error()));
    return;
  }
  phase_ = Phase::kSending;
  request_ = std::move(*request);
  auto onWritten = [self = shared_from_this()](const boost::system::error_code& error, size_t) {
    self->onSent(error);
  };
  if (tls_) {
    asio::async_write(*tls_, asio::buffer(request_), std::move(onWritten));
  } else {
    asio::async_write(socket_, asio::buffer(request_), std::move(onWritten));
  }
}

void HttpExchange::onSent(const boost::system::error_code& error) {
  if (finished_) return;
  if (error) {
    conclude(ProbeResult::fail(FailureReason::kClosedEarly,
                               "connection closed before the request for " + url().path +
                                   " was sent: " + error.message()));
    return;
  }
  phase_ = Phase::kReceiving;
  readBuffer_ = std::make_unique<char[]>(kReadChunkBytes);
  readSome();
}

void HttpExchange::readSome() {
  auto onData = [self = shared_from_this()](const boost::system::error_code& error, size_t bytes) {
    self->onRead(error, bytes);
  };
  const auto buffer = asio::buffer(readBuffer_.get(), kReadChunkBytes);
  if (tls_) {
    tls_->async_read_some(buffer, std::move(onData));
  } else {
    socket_.async_read_some(buffer, std::move(onData));
  }
}

void HttpExchange::onRead(const boost::system::error_code& error, size_t bytes) {
  if (finished_) return;
  if (bytes > 0) response_.feed(std::string_view(readBuffer_.get(), bytes));
  if (response_.state() == HttpParseState::kNeedMore && error) {
    // Servers often close without close_notify (stream_truncated): for HTTP that is just the end
    // of the connection, which the parser decides about like a plain EOF.
    if (error == asio::error::eof || error == asio::ssl::error::stream_truncated) {
      response_.finish();
    } else {
      const std::string what =
          error == asio::error::connection_reset ? "connection reset" : "read failed";
      conclude(ProbeResult::fail(FailureReason::kClosedEarly,
                                 what + " after " + std::to_string(response_.bytesConsumed()) +
                                     " bytes of the response to " + url().path + ": " +
                                     error.message()));
      return;
    }
  }
  if (response_.state() == HttpParseState::kNeedMore) {
    readSome();
    return;
  }
  conclude(judgeResponse(url(), response_));
}

void HttpExchange::concludeSoon(ProbeResult result) {
  asio::post(io_, [self = shared_from_this(), result = std::move(result)]() mutable {
    if (!self->finished_) self->conclude(std::move(result));
  });
}

void HttpExchange::conclude(ProbeResult result) {
  finished_ = true;
  close();
  // Moved out first: the verdict may start the next url or end the probe, and must not find a
  // second verdict to call.
  Verdict verdict = std::move(verdict_);
  verdict_ = nullptr;
  if (verdict) verdict(std::move(result));
}

void HttpExchange::abandon() {
  finished_ = true;
  verdict_ = nullptr;
  close();
}

void HttpExchange::close() {
  deadline_.cancel();
  boost::system::error_code ignored;
  socket_.close(ignored);  // pending operations complete with operation_aborted
}

}  // namespace ha::healthcheck
