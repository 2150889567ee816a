// The node's side of health checks: the HealthConfig it hands the health thread, and the fold of
// verdict events into plan inputs.
#include "director/node/health_bridge.h"

#include <gtest/gtest.h>

#include "director/nft/names.h"
#include "director/nft/render.h"

namespace ha::director {
namespace {

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

healthcheck::RealVerdict verdict(const char* real, bool up, std::string reason = "") {
  healthcheck::RealVerdict v;
  v.key = {6, ip("192.0.2.1"), 80, ip(real), 80};
  v.up = up;
  v.reason = std::move(reason);
  return v;
}

const ServiceKey kKey{Protocol::kTcp, ip("192.0.2.1"), 80};

// Every real of every virtual server is handed over with its checkers and keys.
TEST(HealthBridge, ConfigCarriesEveryRealAndItsCheckers) {
  Config c;
  VirtualServerConfig vs;
  vs.where = {"a.conf", 3};
  vs.vip = ip("192.0.2.1");
  vs.port = 80;
  vs.protocol = Protocol::kUdp;
  vs.quorum = 2;
  vs.hysteresis = 1;
  vs.alpha = true;
  RealServerConfig r;
  r.where = {"a.conf", 5};
  r.address = ip("198.51.100.11");
  r.port = 53;
  r.weight = 3;
  r.inhibitOnFailure = true;
  healthcheck::CheckerConfig check;
  check.probe.kind = healthcheck::CheckKind::kUdp;
  check.probe.address = r.address;
  check.probe.port = 53;
  r.checkers.push_back(check);
  vs.reals.push_back(r);
  c.virtualServers.push_back(vs);
  auto h = healthConfigOf(c);
  ASSERT_EQ(h.virtualServers.size(), 1u);
  const auto& hv = h.virtualServers[0];
  EXPECT_EQ(hv.key.str(), "UDP 192.0.2.1:80");
  EXPECT_TRUE(hv.alpha);
  EXPECT_EQ(hv.quorum, 2u);
  EXPECT_EQ(hv.hysteresis, 1u);
  ASSERT_EQ(hv.reals.size(), 1u);
  EXPECT_EQ(hv.reals[0].key.str(), "UDP 192.0.2.1:80 -> 198.51.100.11:53");
  EXPECT_EQ(hv.reals[0].location, "a.conf:5");
  EXPECT_EQ(hv.reals[0].weight, 3u);
  EXPECT_TRUE(hv.reals[0].inhibitOnFailure);
  EXPECT_EQ(hv.reals[0].checkers, r.checkers);
}

// A real going down is reported once (for its flows to be deleted); a repeated verdict changes
// nothing; coming back up is a change but not a death.
TEST(HealthBridge, FoldReportsChangesAndDeathsOnce) {
  HealthInputs in;
  auto d = foldHealthEvents(in, {verdict("198.51.100.11", false, "refused")});
  EXPECT_EQ(d.services, std::set<ServiceKey>{kKey});
  ASSERT_EQ(d.wentDown.size(), 1u);
  EXPECT_EQ(d.wentDown[0].second, (Endpoint{ip("198.51.100.11"), 80}));
  EXPECT_EQ(in.reals.at({kKey, {ip("198.51.100.11"), 80}}).reason, "refused");

  d = foldHealthEvents(in, {verdict("198.51.100.11", false, "refused")});
  EXPECT_TRUE(d.services.empty());
  EXPECT_TRUE(d.wentDown.empty());

  d = foldHealthEvents(in, {verdict("198.51.100.11", true)});
  EXPECT_EQ(d.services.size(), 1u);
  EXPECT_TRUE(d.wentDown.empty());
  EXPECT_TRUE(in.reals.at({kKey, {ip("198.51.100.11"), 80}}).up);
}

// Quorum verdicts toggle the lost set and are reported by name for VRRP tracking.
TEST(HealthBridge, QuorumChangesAreNamedForVrrp) {
  HealthInputs in;
  healthcheck::QuorumVerdict lost{{6, ip("192.0.2.1"), 80}, false};
  auto d = foldHealthEvents(in, {lost});
  EXPECT_EQ(in.quorumLost.count(kKey), 1u);
  ASSERT_EQ(d.quorum.size(), 1u);
  EXPECT_EQ(d.quorum[0], (std::pair<std::string, bool>{"TCP 192.0.2.1:80", false}));
  d = foldHealthEvents(in, {lost});
  EXPECT_TRUE(d.quorum.empty());
  d = foldHealthEvents(in, {healthcheck::QuorumVerdict{{6, ip("192.0.2.1"), 80}, true}});
  EXPECT_EQ(in.quorumLost.count(kKey), 0u);
  EXPECT_EQ(d.quorum.size(), 1u);
}

// The health status lands on the matching real of the snapshot; reals without checkers keep none;
// the totals and the probe-latency histograms are carried over.
TEST(HealthBridge, MergePutsStatusOnTheRightReal) {
  DirectorSnapshot snap;
  ServiceSnapshot s;
  s.plan.key = kKey;
  for (const char* a : {"198.51.100.11", "198.51.100.12"}) {
    RealSnapshot r;
    r.real.endpoint = {ip(a), 80};
    s.reals.push_back(r);
  }
  snap.services.push_back(s);
  healthcheck::HealthSnapshot h;
  healthcheck::RealStatus status;
  status.key = {6, ip("192.0.2.1"), 80, ip("198.51.100.12"), 80};
  status.up = false;
  status.reason = "HTTP_GET: 503";
  status.checkers.push_back(healthcheck::CheckerStatus{});
  h.reals.push_back(status);
  h.distinctProbes = 7;
  h.latencyByKind["HTTP_GET"].observe(std::chrono::milliseconds(3));
  mergeHealth(snap, h);
  EXPECT_FALSE(snap.services[0].reals[0].health.has_value());
  ASSERT_TRUE(snap.services[0].reals[1].health.has_value());
  EXPECT_EQ(snap.services[0].reals[1].health->reason, "HTTP_GET: 503");
  EXPECT_EQ(snap.distinctProbes, 7u);
  ASSERT_EQ(snap.probeLatencyByKind.count("HTTP_GET"), 1u);
  EXPECT_EQ(snap.probeLatencyByKind.at("HTTP_GET").count, 1u);
}

nft::Element persistEntry(const char* client, uint32_t serviceId, const char* real, uint16_t port) {
  auto c = ip(client);
  nft::Element e;
  e.key = nft::KeyBuilder().raw(c.bytes(), c.size()).hostU32(nft::serviceMark(serviceId)).take();
  e.data = nft::endpointData({ip(real), port});
  return e;
}

// Only the entries of a failed (service, real) pair go: the same real under another service, and
// another real of the same service, keep their clients.
TEST(HealthBridge, PersistenceEntriesOfAFailedRealOnly) {
  std::vector<nft::Element> kernel = {
      persistEntry("203.0.113.10", 1, "198.51.100.11", 80),  // doomed
      persistEntry("203.0.113.11", 1, "198.51.100.11", 80),  // doomed
      persistEntry("203.0.113.12", 1, "198.51.100.12", 80),  // another real
      persistEntry("203.0.113.13", 2, "198.51.100.11", 80),  // another service
      persistEntry("203.0.113.14", 1, "198.51.100.11", 81),  // another port
  };
  auto doomed = persistEntriesOf(kernel, {FlowOwner{1, 6, {ip("198.51.100.11"), 80}}});
  ASSERT_EQ(doomed.size(), 2u);
  EXPECT_EQ(doomed[0].key, kernel[0].key);
  EXPECT_EQ(doomed[1].key, kernel[1].key);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(doomed[0].data)) << "deletes carry keys only";
  EXPECT_TRUE(persistEntriesOf(kernel, {}).empty());
}

}  // namespace
}  // namespace ha::director
