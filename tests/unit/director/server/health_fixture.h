#pragma once
// One node's snapshot with every health case `directorctl list` and `health` must show: up, down
// with a reason, inhibited, a retry pending, a misc_dynamic weight, a shared probe, not probed
// yet, no checkers, quorum lost with the sorry server active, and a sorry server on standby.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "director/node/director_view.h"

namespace ha::director::fixture {

using WallTime = std::chrono::system_clock::time_point;
using namespace std::chrono_literals;

// Any fixed wall time: every age in the fixture is an offset from it.
inline const WallTime kFixtureNow = WallTime{} + std::chrono::hours(24 * 20000);

inline IpAddress fixtureIp(const char* text) { return *IpAddress::parse(text); }

inline PlannedReal plannedReal(const char* address, uint16_t port, uint32_t weight) {
  PlannedReal r;
  r.endpoint = Endpoint{fixtureIp(address), port};
  r.weight = weight;
  r.configuredWeight = weight;
  r.inRotation = weight > 0;
  return r;
}

// A real the plan took out: down (or inhibited, at weight 0) for `reason`.
inline PlannedReal failedReal(const char* address, uint16_t port, uint32_t configuredWeight,
                              bool inhibit, std::string reason) {
  PlannedReal r = plannedReal(address, port, configuredWeight);
  r.weight = inhibit ? 0 : configuredWeight;
  r.inRotation = false;
  r.healthy = false;
  r.inhibitOnFailure = inhibit;
  r.healthReason = std::move(reason);
  return r;
}

inline healthcheck::CheckerStatus checker(std::string kind, std::string target, bool up,
                                          std::optional<bool> lastOk,
                                          std::chrono::milliseconds age = {},
                                          std::string lastDetail = "") {
  healthcheck::CheckerStatus c;
  c.kind = std::move(kind);
  c.target = std::move(target);
  c.up = up;
  c.lastOk = lastOk;
  c.lastDetail = std::move(lastDetail);
  if (lastOk) c.lastAt = kFixtureNow - age;
  return c;
}

inline void setCounts(healthcheck::CheckerStatus& c, uint64_t probes,
                      std::map<std::string, uint64_t> failuresByReason,
                      std::chrono::microseconds last, std::chrono::microseconds mean,
                      std::chrono::microseconds max) {
  c.probes = probes;
  for (const auto& [reason, count] : failuresByReason) c.failures += count;
  c.failuresByReason = std::move(failuresByReason);
  c.lastLatency = last;
  c.meanLatency = mean;
  c.maxLatency = max;
}

inline RealSnapshot withHealth(PlannedReal planned, uint64_t transitions,
                               std::optional<std::chrono::milliseconds> changedAge,
                               std::vector<healthcheck::CheckerStatus> checkers) {
  RealSnapshot r;
  r.real = std::move(planned);
  healthcheck::RealStatus status;
  status.up = r.real.healthy;
  status.reason = r.real.healthReason;
  status.transitions = transitions;
  if (changedAge) status.changedAt = kFixtureNow - *changedAge;
  status.checkers = std::move(checkers);
  r.health = std::move(status);
  return r;
}

inline ServiceSnapshot service(uint32_t id, Protocol protocol, const char* vip, uint16_t port,
                               const char* scheduler, ForwardMode mode) {
  ServiceSnapshot s;
  s.plan.id = id;
  s.plan.key = ServiceKey{protocol, fixtureIp(vip), port};
  s.plan.scheduler = scheduler;
  s.plan.mode = mode;
  return s;
}

inline ServiceSnapshot webService() {
  ServiceSnapshot s = service(1, Protocol::kTcp, "192.0.2.100", 80, "wrr", ForwardMode::kNat);

  auto tcp11 = checker("TCP_CHECK", "198.51.100.11:80", true, true, 400ms);
  setCounts(tcp11, 120, {{"connect-refused", 2}}, 400us, 512us, 3100us);
  RealSnapshot up = withHealth(plannedReal("198.51.100.11", 80, 3), 2, 61s, {tcp11});
  up.activeConns = 12;
  up.inactiveConns = 1;

  auto tcp12 = checker("TCP_CHECK", "198.51.100.12:80", false, false, 1200ms, "connection refused");
  setCounts(tcp12, 57, {{"connect-timeout", 2}, {"connect-refused", 7}}, 300us, 412us, 2000us);
  RealSnapshot down = withHealth(
      failedReal("198.51.100.12", 80, 1, false, "TCP_CHECK 198.51.100.12:80: connection refused"),
      3, 12s, {tcp12});
  down.inactiveConns = 4;

  const std::string http503 = "HTTP 503 for /health (expected 200-299)";
  auto http13 = checker("HTTP_GET", "198.51.100.13:80 /health", false, false, 2500ms, http503);
  http13.shared = true;
  setCounts(http13, 40, {{"status-mismatch", 5}}, 1250us, 980us, 15049us);
  RealSnapshot inhibited = withHealth(
      failedReal("198.51.100.13", 80, 2, true, "HTTP_GET 198.51.100.13:80 /health: " + http503), 1,
      3725s, {http13});
  inhibited.activeConns = 7;

  RealSnapshot unchecked;
  unchecked.real = plannedReal("198.51.100.14", 80, 1);

  // Still up: one failure, retry pending. Its MISC_CHECK set the weight to 5.
  auto tcp15 =
      checker("TCP_CHECK", "198.51.100.15:80", true, false, 300ms, "connect timed out after 3s");
  setCounts(tcp15, 9, {{"connect-timeout", 1}}, 3000000us, 333500us, 3000000us);
  auto misc15 = checker("MISC_CHECK", "/usr/local/bin/check-db", true, true, 800ms);
  setCounts(misc15, 9, {}, 20000us, 21000us, 25000us);
  PlannedReal dynamic = plannedReal("198.51.100.15", 80, 5);
  dynamic.configuredWeight = 1;
  RealSnapshot retrying = withHealth(dynamic, 0, std::nullopt, {tcp15, misc15});
  retrying.health->dynamicWeight = 5;

  s.reals = {unchecked, inhibited, up, retrying, down};  // the formatter sorts them
  return s;
}

inline ServiceSnapshot sorryService() {
  ServiceSnapshot s = service(2, Protocol::kTcp, "192.0.2.101", 443, "rr", ForwardMode::kNat);
  s.plan.sorryServer = Endpoint{fixtureIp("203.0.113.50"), 443};
  s.plan.sorryActive = true;
  s.plan.quorumUp = false;
  auto tcp21 =
      checker("TCP_CHECK", "198.51.100.21:443", false, false, 700ms, "connect timed out after 3s");
  setCounts(tcp21, 30, {{"connect-timeout", 30}}, 3000000us, 3000000us, 3000000us);
  s.reals.push_back(
      withHealth(failedReal("198.51.100.21", 443, 1, false,
                            "TCP_CHECK 198.51.100.21:443: connect timed out after 3s"),
                 1, 90s, {tcp21}));
  // alpha: down until proven up, and its first probe has not answered.
  auto tcp22 = checker("TCP_CHECK", "198.51.100.22:443", false, std::nullopt);
  s.reals.push_back(withHealth(
      failedReal("198.51.100.22", 443, 1, false, "TCP_CHECK 198.51.100.22:443: not proven up yet"),
      0, std::nullopt, {tcp22}));
  return s;
}

inline ServiceSnapshot dnsService() {
  ServiceSnapshot s = service(3, Protocol::kUdp, "192.0.2.102", 53, "rr", ForwardMode::kFullNat);
  s.plan.sorryServer = Endpoint{fixtureIp("203.0.113.53"), 53};
  auto udp = checker("UDP_CHECK", "198.51.100.31:53", true, std::nullopt);
  s.reals.push_back(withHealth(plannedReal("198.51.100.31", 53, 1), 0, std::nullopt, {udp}));
  return s;
}

inline DirectorSnapshot healthFixture() {
  DirectorSnapshot snap;
  snap.hashSeed = 0x5eed1b5a;
  snap.services = {dnsService(), sorryService(), webService()};
  snap.distinctProbes = 7;
  snap.probesRun = 1234;
  snap.probesInFlight = 2;
  return snap;
}

}  // namespace ha::director::fixture
