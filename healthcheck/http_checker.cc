#include "healthcheck/http_checker.h"

#include <algorithm>
#include <boost/asio/post.hpp>

#include "common/ip_address.h"
#include "healthcheck/checkers.h"
#include "healthcheck/http_exchange.h"
#include "healthcheck/http_syntax.h"

namespace ha::healthcheck {
namespace {

constexpr uint16_t kHttpPort = 80;    // RFC 9110 §4.2.1
constexpr uint16_t kHttpsPort = 443;  // RFC 9110 §4.2.2

// Nothing that would end the request line or a header line early: no SP, CTL or DEL.
bool fitsRequest(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte > 0x20 && byte != 0x7f;
  });
}

// RFC 9110 §7.2: the port is left out when it is the scheme's default.
std::string hostHeader(const ProbeSpec& spec) {
  if (!spec.virtualhost.empty()) return spec.virtualhost;
  const uint16_t defaultPort = spec.kind == CheckKind::kHttps ? kHttpsPort : kHttpPort;
  if (spec.port != defaultPort) return formatEndpoint(spec.address, spec.port);
  return spec.address.isV4() ? spec.address.str() : "[" + spec.address.str() + "]";
}

}  // namespace

Result<std::string> httpGetRequest(const ProbeSpec& spec, const UrlCheck& url) {
  const std::string path = url.path.empty() ? "/" : url.path;
  if (!fitsRequest(path)) {
    return Error{"url path \"" + path + "\" cannot be sent: it holds spaces or control bytes"};
  }
  if (!fitsRequest(spec.virtualhost)) {
    return Error{"virtualhost \"" + spec.virtualhost +
                 "\" cannot be sent: it holds spaces or control bytes"};
  }
  return "GET " + path + " HTTP/1.1\r\nHost: " + hostHeader(spec) +
         "\r\nUser-Agent: directord-healthcheck\r\nConnection: close\r\n\r\n";
}

std::string statusRangesText(const UrlCheck& url) {
  if (url.statusCodes.empty()) return "200-299";
  std::string text;
  for (const auto& [low, high] : url.statusCodes) {
    if (!text.empty()) text += ", ";
    text += std::to_string(low);
    if (high != low) text += "-" + std::to_string(high);
  }
  return text;
}

HttpParseOptions parseOptionsFor(const UrlCheck& url) {
  HttpParseOptions options;
  options.digestBody = !url.digest.empty();
  // The body is read to its end even without a digest (bounded by the body limit and the
  // deadline): a real that closes mid-response is broken, and keepalived reads it all too.
  options.stopAfterHead = false;
  return options;
}

ProbeResult judgeResponse(const UrlCheck& url, const HttpResponseParser& response) {
  const std::string& path = url.path;
  if (response.state() == HttpParseState::kError) {
    const FailureReason reason = response.errorReason();
    if (reason == FailureReason::kClosedEarly) {
      return ProbeResult::fail(reason, response.errorDetail() + " to " + path);
    }
    return ProbeResult::fail(reason, response.errorDetail() + " (GET " + path + ")");
  }
  if (response.state() != HttpParseState::kComplete) {
    return ProbeResult::fail(FailureReason::kLocalError,
                             "response to " + path + " judged unfinished");
  }
  const int status = response.statusCode();
  const bool accepted = url.statusCodes.empty()
                            ? status >= 200 && status <= 299
                            : std::any_of(url.statusCodes.begin(), url.statusCodes.end(),
                                          [status](const auto& range) {
                                            return status >= range.first && status <= range.second;
                                          });
  if (!accepted) {
    return ProbeResult::fail(FailureReason::kStatusMismatch, "HTTP " + std::to_string(status) +
                                                                 " for " + path + " (expected " +
                                                                 statusRangesText(url) + ")");
  }
  if (!url.digest.empty() && !http::equalsIgnoringCase(response.bodyMd5Hex(), url.digest)) {
    return ProbeResult::fail(
        FailureReason::kDigestMismatch,
        "digest " + response.bodyMd5Hex() + " for " + path + " (expected " + url.digest + ")");
  }
  return ProbeResult::pass();
}

struct HttpChecker::Probe {
  std::shared_ptr<const ProbeSpec> spec;  // shared with its exchanges, which may outlive the probe
  Done done;
  std::chrono::steady_clock::time_point started;
  size_t urlIndex = 0;
  std::shared_ptr<HttpExchange> exchange;  // the url in flight
};

HttpChecker::HttpChecker(boost::asio::io_context& io) : io_(io) {}

HttpChecker::~HttpChecker() {
  for (const auto& probe : live_) {
    if (probe->exchange) probe->exchange->abandon();
  }
}

void HttpChecker::probe(const ProbeSpec& spec, Done done) {
  auto probe = std::make_shared<Probe>();
  probe->spec = std::make_shared<const ProbeSpec>(spec);
  probe->done = std::move(done);
  probe->started = std::chrono::steady_clock::now();
  live_.insert(probe);
  // Posted, so `done` never runs inside probe() even when the probe fails before any I/O. The
  // weak reference expires if this checker is destroyed first, and `this` is then not touched.
  boost::asio::post(io_, [this, weak = std::weak_ptr<Probe>(probe)] {
    if (auto started = weak.lock()) startUrl(started);
  });
}

void HttpChecker::startUrl(const std::shared_ptr<Probe>& probe) {
  const ProbeSpec& spec = *probe->spec;
  if (spec.kind != CheckKind::kHttp && spec.kind != CheckKind::kHttps) {
    finishProbe(probe, ProbeResult::fail(FailureReason::kLocalError,
                                         "the HTTP checker cannot run a " +
                                             std::string(checkKindName(spec.kind))));
    return;
  }
  if (spec.urls.empty()) {
    finishProbe(
        probe, ProbeResult::fail(FailureReason::kLocalError, std::string(checkKindName(spec.kind)) +
                                                                 " without a url to check"));
    return;
  }
  std::shared_ptr<boost::asio::ssl::context> tls;
  if (spec.kind == CheckKind::kHttps) {
    auto context = tlsContexts_.get(spec);
    if (!context) {
      finishProbe(probe, ProbeResult::fail(FailureReason::kLocalError, context.error()));
      return;
    }
    tls = *context;
  }
  // The verdict is dropped by abandon() when this checker goes, so `this` is alive when it runs.
  probe->exchange =
      HttpExchange::start(io_, probe->spec, probe->urlIndex, std::move(tls),
                          [this, weak = std::weak_ptr<Probe>(probe)](ProbeResult result) {
                            if (auto current = weak.lock()) urlFinished(current, std::move(result));
                          });
}

void HttpChecker::urlFinished(const std::shared_ptr<Probe>& probe, ProbeResult result) {
  probe->exchange.reset();
  if (result.ok && ++probe->urlIndex < probe->spec->urls.size()) {
    startUrl(probe);
    return;
  }
  finishProbe(probe, std::move(result));
}

void HttpChecker::finishProbe(const std::shared_ptr<Probe>& probe, ProbeResult result) {
  live_.erase(probe);
  result.latency = std::chrono::steady_clock::now() - probe->started;
  Done done = std::move(probe->done);
  // Last: `done` may destroy this checker.
  if (done) done(std::move(result));
}

std::unique_ptr<Checker> makeHttpChecker(boost::asio::io_context& io) {
  return std::make_unique<HttpChecker>(io);
}

}  // namespace ha::healthcheck
