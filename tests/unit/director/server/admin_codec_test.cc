#include "director/server/admin_codec.h"

#include <gtest/gtest.h>

#include "tests/unit/director/server/health_fixture.h"

namespace ha::director {
namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

directord::admin::LookupRequest request(const std::string& protocol, const std::string& source,
                                        uint32_t sourcePort, const std::string& vip,
                                        uint32_t vipPort) {
  directord::admin::LookupRequest r;
  r.set_protocol(protocol);
  r.set_source(source);
  r.set_source_port(sourcePort);
  r.set_vip(vip);
  r.set_vip_port(vipPort);
  return r;
}

void expectSameQuery(const FlowQuery& a, const FlowQuery& b) {
  EXPECT_EQ(a.protocol, b.protocol);
  EXPECT_EQ(a.source, b.source);
  EXPECT_EQ(a.sourcePort, b.sourcePort);
  EXPECT_EQ(a.vip, b.vip);
  EXPECT_EQ(a.vipPort, b.vipPort);
}

// A FlowQuery survives the trip through LookupRequest, in both families.
TEST(AdminCodec, FlowQueryRoundTrips) {
  for (const auto& q : {FlowQuery{Protocol::kTcp, ip("203.0.113.10"), 40000, ip("192.0.2.100"), 80},
                        FlowQuery{Protocol::kUdp, ip("fd00:c::10"), 5353, ip("fd00:2::100"), 53}}) {
    auto back = toFlowQuery(toLookupRequest(q));
    ASSERT_TRUE(back) << back.error();
    expectSameQuery(*back, q);
  }
}

// The protocol is matched without regard to case; ipvsadm users type "TCP".
TEST(AdminCodec, AcceptsUpperCaseProtocol) {
  auto q = toFlowQuery(request("TCP", "203.0.113.10", 1, "192.0.2.100", 80));
  ASSERT_TRUE(q) << q.error();
  EXPECT_EQ(q->protocol, Protocol::kTcp);
}

// A protocol other than tcp/udp is refused by name.
TEST(AdminCodec, RefusesUnknownProtocol) {
  auto q = toFlowQuery(request("icmp", "203.0.113.10", 1, "192.0.2.100", 80));
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error(), "protocol \"icmp\" not supported: use tcp or udp");
}

// Malformed addresses are refused, saying which field.
TEST(AdminCodec, RefusesBadAddresses) {
  auto badSource = toFlowQuery(request("tcp", "203.0.113.300", 1, "192.0.2.100", 80));
  ASSERT_FALSE(badSource);
  EXPECT_EQ(badSource.error(), "source \"203.0.113.300\" is not an IP address");
  auto badVip = toFlowQuery(request("tcp", "203.0.113.10", 1, "vip.example", 80));
  ASSERT_FALSE(badVip);
  EXPECT_EQ(badVip.error(), "VIP \"vip.example\" is not an IP address");
}

// Ports outside 1-65535 (proto3 carries them as uint32) are refused.
TEST(AdminCodec, RefusesOutOfRangePorts) {
  auto big = toFlowQuery(request("tcp", "203.0.113.10", 1, "192.0.2.100", 70000));
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error(), "VIP port 70000 out of range 1-65535");
  auto zero = toFlowQuery(request("udp", "203.0.113.10", 0, "192.0.2.100", 53));
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error(), "source port 0 out of range 1-65535");
}

// A v6 client cannot reach a v4 VIP; refused rather than answered with "no service".
TEST(AdminCodec, RefusesMixedFamilies) {
  auto q = toFlowQuery(request("tcp", "fd00:c::10", 1, "192.0.2.100", 80));
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error(), "source fd00:c::10 and VIP 192.0.2.100 are of different address families");
}

// A deterministic answer names the service, the real and the slot.
TEST(AdminCodec, EncodesDeterministicAnswer) {
  FlowAnswer a;
  a.service = ServiceKey{Protocol::kTcp, ip("192.0.2.102"), 80};
  a.deterministic = true;
  a.real = Endpoint{ip("198.51.100.12"), 80};
  a.slot = 1234;
  a.explanation = "mh slot 1234 of 4093";
  auto r = toLookupReply(a);
  EXPECT_TRUE(r.matched());
  EXPECT_EQ(r.service(), "TCP 192.0.2.102:80");
  EXPECT_TRUE(r.deterministic());
  EXPECT_EQ(r.real(), "198.51.100.12:80");
  EXPECT_EQ(r.slot(), 1234u);
  EXPECT_EQ(r.explanation(), "mh slot 1234 of 4093");
}

// A rotation answer lists candidates in slot order; IPv6 ones bracketed.
TEST(AdminCodec, EncodesRotationAnswer) {
  FlowAnswer a;
  a.service = ServiceKey{Protocol::kUdp, ip("fd00:2::100"), 53};
  a.candidates = {Endpoint{ip("fd00:1::11"), 53}, Endpoint{ip("fd00:1::12"), 53}};
  auto r = toLookupReply(a);
  EXPECT_EQ(r.service(), "UDP [fd00:2::100]:53");
  EXPECT_FALSE(r.deterministic());
  EXPECT_TRUE(r.real().empty());
  ASSERT_EQ(r.candidates_size(), 2);
  EXPECT_EQ(r.candidates(0), "[fd00:1::11]:53");
  EXPECT_EQ(r.candidates(1), "[fd00:1::12]:53");
}

// No owning service encodes as matched = false.
TEST(AdminCodec, EncodesUnmatchedAnswer) {
  auto r = toLookupReply(FlowAnswer{});
  EXPECT_FALSE(r.matched());
  EXPECT_TRUE(r.service().empty());
}

// The snapshot carries every field directorctl shows, per service and per real.
TEST(AdminCodec, EncodesSnapshot) {
  DirectorSnapshot snap;
  snap.hashSeed = 0x5eed1b5a;
  ServiceSnapshot s;
  s.plan.id = 7;
  s.plan.key = ServiceKey{Protocol::kTcp, ip("192.0.2.102"), 80};
  s.plan.mode = ForwardMode::kDr;
  s.plan.scheduler = "mh";
  s.plan.hashPort = true;
  s.plan.persistenceTimeoutSec = 60;
  s.plan.where = SourceLocation{"/etc/directord.conf", 12};
  s.laddrGroup = "";
  RealSnapshot live;
  live.real = fixture::plannedReal("198.51.100.11", 80, 3);
  live.counters = TrafficCounters{5, 10, 20, 1000, 2000};
  live.activeConns = 4;
  live.inactiveConns = 1;
  RealSnapshot drained;
  drained.real = fixture::plannedReal("198.51.100.12", 80, 0);
  s.reals = {live, drained};
  s.counters += live.counters;
  s.counters += drained.counters;
  snap.services.push_back(s);

  auto list = toServiceList(snap);
  EXPECT_EQ(list.hash_seed(), 0x5eed1b5au);
  ASSERT_EQ(list.services_size(), 1);
  const auto& svc = list.services(0);
  EXPECT_EQ(svc.id(), 7u);
  EXPECT_EQ(svc.protocol(), "TCP");
  EXPECT_EQ(svc.vip(), "192.0.2.102");
  EXPECT_EQ(svc.port(), 80u);
  EXPECT_EQ(svc.scheduler(), "mh");
  EXPECT_EQ(svc.mode(), "DR");
  EXPECT_EQ(svc.persistence_timeout(), 60u);
  EXPECT_EQ(svc.where(), "/etc/directord.conf:12");
  ASSERT_EQ(svc.scheduler_flags_size(), 1);
  EXPECT_EQ(svc.scheduler_flags(0), "mh-port");
  EXPECT_EQ(svc.counters().conns(), 5u);
  EXPECT_EQ(svc.counters().out_bytes(), 2000u);
  ASSERT_EQ(svc.reals_size(), 2);
  EXPECT_EQ(svc.reals(0).address(), "198.51.100.11");
  EXPECT_EQ(svc.reals(0).weight(), 3u);
  EXPECT_TRUE(svc.reals(0).in_rotation());
  EXPECT_EQ(svc.reals(0).active_conns(), 4u);
  EXPECT_EQ(svc.reals(0).inactive_conns(), 1u);
  EXPECT_EQ(svc.reals(0).counters().in_packets(), 10u);
  EXPECT_FALSE(svc.reals(1).in_rotation());
  EXPECT_EQ(svc.reals(1).weight(), 0u);
}

namespace pb = directord::admin;
using fixture::kFixtureNow;

const pb::ServiceStatus& serviceAt(const pb::ServiceList& list, uint32_t port) {
  for (const auto& s : list.services()) {
    if (s.port() == port) return s;
  }
  ADD_FAILURE() << "no service on port " << port;
  return pb::ServiceStatus::default_instance();
}

const pb::RealStatus& realAt(const pb::ServiceStatus& service, const std::string& address) {
  for (const auto& r : service.reals()) {
    if (r.address() == address) return r;
  }
  ADD_FAILURE() << "no real " << address;
  return pb::RealStatus::default_instance();
}

// A down real carries the plan's state and reason and every checker field, ages taken at `now`.
TEST(AdminCodec, EncodesDownRealWithCheckerCounters) {
  auto list = toServiceList(fixture::healthFixture(), kFixtureNow);
  const auto& r = realAt(serviceAt(list, 80), "198.51.100.12");
  EXPECT_EQ(r.health(), "down");
  EXPECT_EQ(r.reason(), "TCP_CHECK 198.51.100.12:80: connection refused");
  EXPECT_FALSE(r.in_rotation());
  EXPECT_EQ(r.configured_weight(), 1u);
  EXPECT_FALSE(r.has_dynamic_weight());
  EXPECT_EQ(r.transitions(), 3u);
  ASSERT_TRUE(r.has_changed_age_ms());
  EXPECT_EQ(r.changed_age_ms(), 12000u);
  ASSERT_EQ(r.checkers_size(), 1);
  const auto& c = r.checkers(0);
  EXPECT_EQ(c.kind(), "TCP_CHECK");
  EXPECT_EQ(c.target(), "198.51.100.12:80");
  EXPECT_FALSE(c.up());
  EXPECT_FALSE(c.shared());
  EXPECT_EQ(c.last_outcome(), pb::CheckerStatus::OUTCOME_FAILED);
  EXPECT_EQ(c.last_detail(), "connection refused");
  EXPECT_EQ(c.last_age_ms(), 1200u);
  EXPECT_EQ(c.probes(), 57u);
  EXPECT_EQ(c.failures(), 9u);
  ASSERT_EQ(c.failures_by_reason_size(), 2);
  EXPECT_EQ(c.failures_by_reason().at("connect-refused"), 7u);
  EXPECT_EQ(c.failures_by_reason().at("connect-timeout"), 2u);
  EXPECT_EQ(c.latency_last_us(), 300u);
  EXPECT_EQ(c.latency_mean_us(), 412u);
  EXPECT_EQ(c.latency_max_us(), 2000u);
}

// An up real with a passing, a shared and a misc_dynamic checker: outcome, sharing and weights.
TEST(AdminCodec, EncodesUpRealOutcomesAndDynamicWeight) {
  auto list = toServiceList(fixture::healthFixture(), kFixtureNow);
  const auto& retrying = realAt(serviceAt(list, 80), "198.51.100.15");
  EXPECT_EQ(retrying.health(), "up");
  EXPECT_TRUE(retrying.reason().empty());
  EXPECT_EQ(retrying.weight(), 5u);
  EXPECT_EQ(retrying.configured_weight(), 1u);
  ASSERT_TRUE(retrying.has_dynamic_weight());
  EXPECT_EQ(retrying.dynamic_weight(), 5u);
  EXPECT_FALSE(retrying.has_changed_age_ms());  // never flipped
  ASSERT_EQ(retrying.checkers_size(), 2);
  EXPECT_TRUE(retrying.checkers(0).up());
  EXPECT_EQ(retrying.checkers(0).last_outcome(), pb::CheckerStatus::OUTCOME_FAILED);
  EXPECT_EQ(retrying.checkers(1).last_outcome(), pb::CheckerStatus::OUTCOME_PASSED);
  EXPECT_TRUE(retrying.checkers(1).last_detail().empty());
  EXPECT_EQ(retrying.checkers(1).last_age_ms(), 800u);

  const auto& inhibited = realAt(serviceAt(list, 80), "198.51.100.13");
  EXPECT_EQ(inhibited.health(), "inhibited");
  EXPECT_EQ(inhibited.weight(), 0u);
  EXPECT_EQ(inhibited.configured_weight(), 2u);
  ASSERT_EQ(inhibited.checkers_size(), 1);
  EXPECT_TRUE(inhibited.checkers(0).shared());
}

// A real without checkers has no health state, reason, checkers or change age.
TEST(AdminCodec, EncodesRealWithoutCheckers) {
  auto list = toServiceList(fixture::healthFixture(), kFixtureNow);
  const auto& r = realAt(serviceAt(list, 80), "198.51.100.14");
  EXPECT_EQ(r.health(), "");
  EXPECT_EQ(r.reason(), "");
  EXPECT_EQ(r.checkers_size(), 0);
  EXPECT_EQ(r.configured_weight(), 1u);
  EXPECT_EQ(r.transitions(), 0u);
  EXPECT_FALSE(r.has_changed_age_ms());
  EXPECT_FALSE(r.has_dynamic_weight());
}

// A checker that never answered reads as not probed, not as a pass or a failure at age 0.
TEST(AdminCodec, EncodesNotProbedChecker) {
  auto list = toServiceList(fixture::healthFixture(), kFixtureNow);
  const auto& r = realAt(serviceAt(list, 443), "198.51.100.22");
  EXPECT_EQ(r.health(), "down");
  ASSERT_EQ(r.checkers_size(), 1);
  EXPECT_EQ(r.checkers(0).last_outcome(), pb::CheckerStatus::OUTCOME_NOT_PROBED);
  EXPECT_EQ(r.checkers(0).probes(), 0u);
}

// When the plan has no reason for a down real, the health thread's reason is used.
TEST(AdminCodec, FallsBackToHealthThreadReason) {
  RealSnapshot r;
  r.real = fixture::failedReal("198.51.100.12", 80, 1, false, "");
  r.health.emplace();
  r.health->up = false;
  r.health->reason = "TCP_CHECK 198.51.100.12:80: connection refused";
  r.health->checkers.push_back(fixture::checker("TCP_CHECK", "198.51.100.12:80", false, false));
  pb::RealStatus out;
  setRealHealth(r, kFixtureNow, &out);
  EXPECT_EQ(out.reason(), "TCP_CHECK 198.51.100.12:80: connection refused");
}

// Timestamps taken on the health thread after `now` give age 0, never a wrapped-around age.
TEST(AdminCodec, FutureTimestampsAgeZero) {
  RealSnapshot r;
  r.real = fixture::plannedReal("198.51.100.11", 80, 1);
  r.health.emplace();
  r.health->changedAt = kFixtureNow + std::chrono::milliseconds(5);
  r.health->checkers.push_back(fixture::checker("TCP_CHECK", "198.51.100.11:80", true, true));
  r.health->checkers[0].lastAt = kFixtureNow + std::chrono::milliseconds(3);
  pb::RealStatus out;
  setRealHealth(r, kFixtureNow, &out);
  EXPECT_EQ(out.changed_age_ms(), 0u);
  EXPECT_EQ(out.checkers(0).last_age_ms(), 0u);
}

// Quorum, the sorry server and the probe totals reach the ServiceList.
TEST(AdminCodec, EncodesQuorumSorryServerAndTotals) {
  auto list = toServiceList(fixture::healthFixture(), kFixtureNow);
  EXPECT_EQ(list.distinct_probes(), 7u);
  EXPECT_EQ(list.probes_run(), 1234u);
  EXPECT_EQ(list.probes_in_flight(), 2u);
  const auto& lost = serviceAt(list, 443);
  EXPECT_TRUE(lost.quorum_lost());
  EXPECT_EQ(lost.sorry_server(), "203.0.113.50:443");
  EXPECT_TRUE(lost.sorry_active());
  const auto& standby = serviceAt(list, 53);
  EXPECT_FALSE(standby.quorum_lost());
  EXPECT_EQ(standby.sorry_server(), "203.0.113.53:53");
  EXPECT_FALSE(standby.sorry_active());
  const auto& plain = serviceAt(list, 80);
  EXPECT_FALSE(plain.quorum_lost());
  EXPECT_EQ(plain.sorry_server(), "");
}

// The health fields survive the wire: optional presence, the outcome enum and the reason map.
TEST(AdminCodec, HealthFieldsSurviveSerialization) {
  auto sent = toServiceList(fixture::healthFixture(), fixture::kFixtureNow);
  pb::ServiceList received;
  ASSERT_TRUE(received.ParseFromString(sent.SerializeAsString()));
  const auto& down = realAt(serviceAt(received, 80), "198.51.100.12");
  EXPECT_TRUE(down.has_changed_age_ms());
  EXPECT_EQ(down.checkers(0).last_outcome(), pb::CheckerStatus::OUTCOME_FAILED);
  EXPECT_EQ(down.checkers(0).failures_by_reason().at("connect-refused"), 7u);
  const auto& dynamic = realAt(serviceAt(received, 80), "198.51.100.15");
  EXPECT_TRUE(dynamic.has_dynamic_weight());
  EXPECT_FALSE(dynamic.has_changed_age_ms());
  EXPECT_FALSE(realAt(serviceAt(received, 80), "198.51.100.14").has_dynamic_weight());
  EXPECT_TRUE(serviceAt(received, 443).sorry_active());
  EXPECT_EQ(received.probes_run(), 1234u);
}

// TrafficCounters add field by field (a service's counters are its reals' sum).
TEST(TrafficCounters, AddFieldByField) {
  TrafficCounters a{1, 2, 3, 4, 5};
  a += TrafficCounters{10, 20, 30, 40, 50};
  EXPECT_EQ(a.conns, 11u);
  EXPECT_EQ(a.inPackets, 22u);
  EXPECT_EQ(a.outPackets, 33u);
  EXPECT_EQ(a.inBytes, 44u);
  EXPECT_EQ(a.outBytes, 55u);
}

}  // namespace
}  // namespace ha::director
