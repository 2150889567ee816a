#pragma once
// The health-check part of mapping a virtual_server (map_service_health.cc, map_checker.cc).
// keepalived's checker timing is inherited virtual_server -> real_server -> checker ("the virtual
// server setting is the default for real servers, and the real server setting is the default for
// checkers", keepalived.conf(5)), and a virtual_server's keywords may follow its real_server
// blocks. So each level records what it wrote, and resolveHealth() settles every checker once the
// virtual_server block is complete.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "director/config/config_mapper.h"

namespace ha::director::config {

using healthcheck::Millis;

// What one level wrote; unset = the level above's value (or the checker kind's default).
struct CheckDefaults {
  std::optional<Millis> delayLoop;
  std::optional<Millis> delayBeforeRetry;
  std::optional<Millis> warmup;
  std::optional<Millis> connectTimeout;
  std::optional<uint32_t> retry;
  std::optional<uint32_t> rise;
  std::optional<std::string> virtualhost;  // HTTP_GET / SSL_GET Host header
};

struct PendingChecker {
  healthcheck::CheckerConfig config;  // target and kind-specific fields set; timing not yet
  CheckDefaults own;
  std::optional<Millis>
      miscTimeout;  // misc_timeout as written; 0 = the virtual server's delay_loop
};

struct RealHealth {
  CheckDefaults own;
  std::optional<bool> inhibitOnFailure;
  std::vector<PendingChecker> checkers;
  std::vector<healthcheck::FileCheckConfig> fileChecks;  // resolved at once: nothing inherits
  const std::vector<healthcheck::TrackFileConfig>* trackFiles = nullptr;  // every one mapped
  bool dynamicMisc = false;  // a misc_dynamic checker was seen (keepalived warns about a second)
};

struct ServiceHealth {
  CheckDefaults own;
  std::optional<bool> inhibitOnFailure;
  SourceLocation sorryInhibit;    // sorry_server_inhibit, applied once the block is read
  std::vector<RealHealth> reals;  // parallel to VirtualServerConfig::reals
  const std::vector<healthcheck::TrackFileConfig>* trackFiles = nullptr;  // for its reals
};

// keepalived 2.2.7's defaults where nothing is written at any level.
inline constexpr Millis kDefaultDelayLoop{60000};
inline constexpr Millis kDefaultConnectTimeout{5000};
// Failed attempts before a real goes down: beyond this it would in effect never go down.
inline constexpr uint64_t kMaxRetry = 1000;

// Timing keywords valid at all three levels: delay_loop, retry, delay_before_retry, warmup,
// connect_timeout and our rise. False if `node` is none of them.
bool mapCheckTiming(const Node& node, CheckDefaults& out, DiagnosticSink& sink);

// virtual_server keywords of health checking (quorum, hysteresis, alpha, sorry_server, timing
// defaults, ...); false if `node` is none of them.
bool mapServiceHealthKeyword(const Node& node, VirtualServerConfig& vs, ServiceHealth& health,
                             ServiceKeywordLocations& loc, DiagnosticSink& sink);
// real_server keywords of health checking (inhibit_on_failure, notify_up/down, timing defaults,
// checker blocks); false if `node` is none of them. `targetKnown` is false when the real_server
// line itself was bad: its checkers are still read for their own mistakes.
bool mapRealHealthKeyword(const Node& node, RealServerConfig& real, RealHealth& health,
                          bool targetKnown, DiagnosticSink& sink);
// One checker block (TCP_CHECK, HTTP_GET, SSL_GET, UDP_CHECK, MISC_CHECK, SMTP_CHECK, DNS_CHECK,
// PING_CHECK, FILE_CHECK) of `real`; false if `node` names no checker.
bool mapCheckerBlock(const Node& node, const RealServerConfig& real, RealHealth& health,
                     bool targetKnown, DiagnosticSink& sink);
// FILE_CHECK (map_track_file.cc): names a track_file of health.trackFiles.
void mapFileCheck(const Node& node, const RealServerConfig& real, RealHealth& health,
                  DiagnosticSink& sink);
// A Host header or url path: one word without blanks, as it goes into the request verbatim.
std::optional<std::string> httpWordArg(const Node& node, std::string_view owner,
                                       DiagnosticSink& sink);

// Fills every real's checkers and inhibitOnFailure, and vs.delayLoopSec, from the three levels.
void resolveHealth(VirtualServerConfig& vs, const ServiceHealth& health, DiagnosticSink& sink);

}  // namespace ha::director::config
