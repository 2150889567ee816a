#pragma once
// One url of an HTTP_GET/SSL_GET probe on Boost.Asio: connect (bindto/bind_port honoured), TLS
// when given a context, one GET, and the response fed to HttpResponseParser until it decides.
//
// Time: one deadline of connect_timeout, armed at the connect start, bounds connect + TLS +
// request + response. Progress never pushes it back, so a peer trickling a byte at a time cannot
// hold the probe. Closing: SO_LINGER 0 from the start, so every close is an RST and no TIME_WAIT
// piles up at thousands of probes a second; TLS is dropped the same way, without close_notify.
//
// Lifetime: every handler holds a shared_ptr to the exchange, which owns the socket, the TLS
// stream and the buffers, so nothing an operation in flight touches can disappear under it. Once
// concluded or abandoned, late handlers find `finished_` and return.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "healthcheck/checker.h"
#include "healthcheck/http_response.h"

namespace ha::healthcheck {

// ECONNREFUSED/ECONNRESET -> kConnectRefused, EHOSTUNREACH/ENETUNREACH (and their kin) ->
// kUnreachable, ETIMEDOUT -> kConnectTimeout, anything else (EADDRNOTAVAIL...) -> kLocalError.
FailureReason connectFailureReason(const boost::system::error_code& error);

class HttpExchange : public std::enable_shared_from_this<HttpExchange> {
 public:
  using Verdict = std::function<void(ProbeResult)>;

  // Starts url number `urlIndex` of *spec. `verdict` runs exactly once from a handler on `io`,
  // never inside start(), unless abandon() comes first. `tls` null means plain HTTP.
  static std::shared_ptr<HttpExchange> start(boost::asio::io_context& io,
                                             std::shared_ptr<const ProbeSpec> spec, size_t urlIndex,
                                             std::shared_ptr<boost::asio::ssl::context> tls,
                                             Verdict verdict);
  // Closes the connection at once (RST) and drops the verdict.
  void abandon();

  // Only start() creates exchanges; public for make_shared.
  struct Private {};
  HttpExchange(Private, boost::asio::io_context& io, std::shared_ptr<const ProbeSpec> spec,
               size_t urlIndex, std::shared_ptr<boost::asio::ssl::context> tls, Verdict verdict);

 private:
  enum class Phase : uint8_t { kConnecting, kHandshaking, kSending, kReceiving };

  void begin();
  Status openSocket();
  void onDeadline();
  void onConnected(const boost::system::error_code& error);
  void onHandshake(const boost::system::error_code& error);
  void sendRequest();
  void onSent(const boost::system::error_code& error);
  void readSome();
  void onRead(const boost::system::error_code& error, size_t bytes);
  void concludeSoon(ProbeResult result);  // for failures found before any operation started
  void conclude(ProbeResult result);
  void close();
  const UrlCheck& url() const { return spec_->urls[urlIndex_]; }
  std::string peer() const;

  boost::asio::io_context& io_;
  std::shared_ptr<const ProbeSpec> spec_;
  size_t urlIndex_;
  std::shared_ptr<boost::asio::ssl::context> tlsContext_;
  Verdict verdict_;
  boost::asio::steady_timer deadline_;
  boost::asio::ip::tcp::socket socket_;
  std::optional<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_;
  Phase phase_ = Phase::kConnecting;
  bool finished_ = false;
  std::string request_;
  std::unique_ptr<char[]> readBuffer_;  // allocated once connected: most probes in flight are
                                        // waiting on a connect and need none
  HttpResponseParser response_;
};

}  // namespace ha::healthcheck
