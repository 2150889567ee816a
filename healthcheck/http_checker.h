#pragma once
// HTTP_GET and SSL_GET (keepalived's check_http.c): one probe fetches every `url` of the spec in
// order, each on its own connection, and passes only if all pass. The pure parts (the request,
// the verdict on a parsed response) are here; http_exchange.h runs one url on Boost.Asio and
// http_response.h parses what comes back.
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <unordered_set>

#include "common/result.h"
#include "healthcheck/checker.h"
#include "healthcheck/http_response.h"
#include "healthcheck/tls_client.h"

namespace ha::healthcheck {

// `GET <path> HTTP/1.1` with Host (virtualhost, else the address with a non-default port),
// User-Agent and `Connection: close`. Refused when the path or virtualhost would break the
// request line or inject a header (spaces, CR, LF, control bytes).
Result<std::string> httpGetRequest(const ProbeSpec& spec, const UrlCheck& url);

// "200-299", "200", "200, 301-302": what status_code accepts, for operators.
std::string statusRangesText(const UrlCheck& url);

// The verdict on a finished parse (kComplete or kError) for `url`: the parser's own failure,
// else the status against status_code (empty = 200-299), else the body digest when one is set.
ProbeResult judgeResponse(const UrlCheck& url, const HttpResponseParser& response);

// What the parser must do for `url`: read and hash the body only when a digest is checked.
HttpParseOptions parseOptionsFor(const UrlCheck& url);

class HttpExchange;

// Runs on one io_context thread and must be destroyed there (or with the io_context stopped):
// destruction closes every socket and drops every pending `done`.
class HttpChecker final : public Checker {
 public:
  explicit HttpChecker(boost::asio::io_context& io);
  ~HttpChecker() override;
  HttpChecker(const HttpChecker&) = delete;
  HttpChecker& operator=(const HttpChecker&) = delete;

  // Each url gets connect_timeout from its own connect start (keepalived's per-url connection
  // timeout), so a probe of N urls ends within N x connect_timeout plus scheduling slack.
  void probe(const ProbeSpec& spec, Done done) override;

 private:
  struct Probe;
  void startUrl(const std::shared_ptr<Probe>& probe);
  void urlFinished(const std::shared_ptr<Probe>& probe, ProbeResult result);
  void finishProbe(const std::shared_ptr<Probe>& probe, ProbeResult result);

  boost::asio::io_context& io_;
  TlsContextCache tlsContexts_;
  // Owns every probe in flight; handlers hold only weak references to a probe, so clearing this
  // set (in the destructor) is what makes them drop their work.
  std::unordered_set<std::shared_ptr<Probe>> live_;
};

}  // namespace ha::healthcheck
