// Checker timing: the keywords every level may write, and their resolution checker -> real_server
// -> virtual_server -> the checker kind's keepalived 2.2.7 default (check_data.c, where keepalived
// settles the same inheritance once the whole configuration is read).
#include <chrono>
#include <cstdint>
#include <string>

#include "director/config/health_mapping.h"
#include "director/config/node_rules.h"

namespace ha::director::config {
namespace {

using healthcheck::CheckKind;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr uint64_t kMaxRise = 1000;
constexpr Duration kMaxInterval = seconds(86400);
// keepalived reads connect_timeout into an unsigned count of microseconds: about 71 minutes.
constexpr Duration kMaxConnectTimeout = seconds(3600);
// keepalived's warmup 0 means "start at once"; CheckTiming's 0 means "spread over delay_loop".
constexpr Millis kWarmupAtOnce{1};

// keepalived's <TIMER> in whole milliseconds (the tracker's resolution), within [min, max].
std::optional<Millis> millisArg(const Node& node, Duration min, Duration max,
                                DiagnosticSink& sink) {
  auto value = secondsArg(node, 0, min, max, sink);
  if (!value) return std::nullopt;
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(*value);
  if (micros.count() % 1000 != 0) {
    sink.error(node.where, "invalid value '" + node.args[0] + "' for '" + node.keyword +
                               "': expected whole milliseconds (at most 3 decimals)");
    return std::nullopt;
  }
  return std::chrono::duration_cast<Millis>(micros);
}

template <typename T>
T pick(const std::optional<T>& checker, const std::optional<T>& real,
       const std::optional<T>& service, T fallback) {
  if (checker) return *checker;
  if (real) return *real;
  if (service) return *service;
  return fallback;
}

// keepalived 2.2.7: MISC_CHECK's retry defaults to 0 (check_misc.c), DNS_CHECK's to 3 with
// delay_loop before each retry (check_dns.c), HTTP_GET/SSL_GET wait 3 s before a retry
// (check_http.c), everything else retries once after 1 s (check_api.c).
uint32_t defaultRetry(CheckKind kind) {
  if (kind == CheckKind::kMisc) return 0;
  return kind == CheckKind::kDns ? 3 : 1;
}
Millis defaultDelayBeforeRetry(CheckKind kind, Millis delayLoop) {
  if (kind == CheckKind::kDns) return delayLoop;
  bool http = kind == CheckKind::kHttp || kind == CheckKind::kHttps;
  return http ? Millis(3000) : Millis(1000);
}

}  // namespace

bool mapCheckTiming(const Node& node, CheckDefaults& out, DiagnosticSink& sink) {
  const std::string& k = node.keyword;
  bool counted = k == "retry" || k == "rise";
  bool timed =
      k == "delay_loop" || k == "delay_before_retry" || k == "warmup" || k == "connect_timeout";
  if (!counted && !timed) return false;
  if (!checkStatement(node, 1, 1, k + (counted ? " N" : " SECONDS"), sink)) return true;
  if (k == "retry") {
    if (auto n = numberArg(node, 0, 0, kMaxRetry, sink)) out.retry = static_cast<uint32_t>(*n);
  } else if (k == "rise") {
    if (auto n = numberArg(node, 0, 1, kMaxRise, sink)) out.rise = static_cast<uint32_t>(*n);
  } else if (k == "delay_loop") {
    if (auto t = millisArg(node, milliseconds(1), kMaxInterval, sink)) out.delayLoop = *t;
  } else if (k == "delay_before_retry") {
    if (auto t = millisArg(node, Duration{0}, kMaxInterval, sink)) out.delayBeforeRetry = *t;
  } else if (k == "warmup") {
    if (auto t = millisArg(node, Duration{0}, kMaxInterval, sink)) {
      out.warmup = t->count() == 0 ? kWarmupAtOnce : *t;
    }
  } else if (auto t = millisArg(node, milliseconds(1), kMaxConnectTimeout, sink)) {
    out.connectTimeout = *t;
  }
  return true;
}

void resolveHealth(VirtualServerConfig& vs, const ServiceHealth& health, DiagnosticSink& sink) {
  const CheckDefaults& top = health.own;
  Millis serviceDelayLoop = top.delayLoop.value_or(kDefaultDelayLoop);
  vs.delayLoopSec = std::chrono::duration<double>(serviceDelayLoop).count();
  if (health.sorryInhibit.line > 0) {
    if (vs.sorryServer) {
      vs.sorryServer->inhibit = true;
    } else {
      sink.warning(health.sorryInhibit, "sorry_server_inhibit ignored: no sorry_server");
    }
  }
  for (size_t r = 0; r < vs.reals.size(); ++r) {
    RealServerConfig& real = vs.reals[r];
    const RealHealth& rh = health.reals[r];
    real.inhibitOnFailure = rh.inhibitOnFailure.value_or(health.inhibitOnFailure.value_or(false));
    real.checkers.clear();
    real.fileChecks = rh.fileChecks;
    for (const PendingChecker& pending : rh.checkers) {
      const CheckDefaults& own = pending.own;
      healthcheck::CheckerConfig checker = pending.config;
      healthcheck::ProbeSpec& probe = checker.probe;
      healthcheck::CheckTiming& timing = checker.timing;
      timing.delayLoop = pick(own.delayLoop, rh.own.delayLoop, top.delayLoop, kDefaultDelayLoop);
      timing.delayBeforeRetry =
          pick(own.delayBeforeRetry, rh.own.delayBeforeRetry, top.delayBeforeRetry,
               defaultDelayBeforeRetry(probe.kind, timing.delayLoop));
      timing.retry = pick(own.retry, rh.own.retry, top.retry, defaultRetry(probe.kind));
      timing.rise = pick(own.rise, rh.own.rise, top.rise, uint32_t{1});
      timing.warmup = pick(own.warmup, rh.own.warmup, top.warmup, Millis{0});
      if (probe.kind == CheckKind::kMisc) {
        // keepalived (check_misc.c): misc_timeout 0 or unset runs the script for up to the
        // virtual server's delay_loop. The connect timeout means nothing to a script and stays at
        // its default so equal scripts stay equal probes.
        probe.miscTimeout = pending.miscTimeout.value_or(Millis{0}).count() > 0
                                ? *pending.miscTimeout
                                : serviceDelayLoop;
      } else {
        probe.connectTimeout = pick(own.connectTimeout, rh.own.connectTimeout, top.connectTimeout,
                                    kDefaultConnectTimeout);
      }
      if (probe.kind == CheckKind::kHttp || probe.kind == CheckKind::kHttps) {
        probe.virtualhost =
            pick(own.virtualhost, rh.own.virtualhost, top.virtualhost, std::string());
      }
      real.checkers.push_back(std::move(checker));
    }
  }
}

}  // namespace ha::director::config
