#include "director/ctl/health_format.h"

#include <gtest/gtest.h>

#include <string>

#include "director/server/admin_codec.h"
#include "tests/unit/director/server/health_fixture.h"

namespace ha::director {
namespace {

namespace pb = directord::admin;

// `directorctl health`: per real and per checker, then the totals, in ipvsadm's order.
TEST(HealthFormat, ShowsEveryRealAndChecker) {
  auto list = toServiceList(fixture::healthFixture(), fixture::kFixtureNow);
  EXPECT_EQ(
      formatHealth(list),
      "TCP  192.0.2.100:80 wrr\n"
      "  -> 198.51.100.11:80 up: weight 3, 2 transitions, changed 1m01s ago\n"
      "     TCP_CHECK 198.51.100.11:80: up, last passed 0.4s ago\n"
      "       probes 120, failures 2 (connect-refused=2), latency last/mean/max 0.4/0.5/3.1 ms\n"
      "  -> 198.51.100.12:80 down: weight 0 (configured 1), 3 transitions, changed 12.0s ago\n"
      "     reason: TCP_CHECK 198.51.100.12:80: connection refused\n"
      "     TCP_CHECK 198.51.100.12:80: down, last failed 1.2s ago: connection refused\n"
      "       probes 57, failures 9 (connect-refused=7 connect-timeout=2), "
      "latency last/mean/max 0.3/0.4/2.0 ms\n"
      "  -> 198.51.100.13:80 inhibited: weight 0 (configured 2), 1 transition, changed 1h02m ago\n"
      "     reason: HTTP_GET 198.51.100.13:80 /health: HTTP 503 for /health (expected 200-299)\n"
      "     HTTP_GET 198.51.100.13:80 /health: down, shared, last failed 2.5s ago: "
      "HTTP 503 for /health (expected 200-299)\n"
      "       probes 40, failures 5 (status-mismatch=5), latency last/mean/max 1.3/1.0/15.0 ms\n"
      "  -> 198.51.100.14:80 no checkers: weight 1\n"
      "  -> 198.51.100.15:80 up: weight 5 (misc_dynamic 5, configured 1), 0 transitions\n"
      "     TCP_CHECK 198.51.100.15:80: up, last failed 0.3s ago: connect timed out after 3s\n"
      "       probes 9, failures 1 (connect-timeout=1), "
      "latency last/mean/max 3000.0/333.5/3000.0 ms\n"
      "     MISC_CHECK /usr/local/bin/check-db: up, last passed 0.8s ago\n"
      "       probes 9, failures 0, latency last/mean/max 20.0/21.0/25.0 ms\n"
      "TCP  192.0.2.101:443 rr (quorum lost)\n"
      "  -> 198.51.100.21:443 down: weight 0 (configured 1), 1 transition, changed 1m30s ago\n"
      "     reason: TCP_CHECK 198.51.100.21:443: connect timed out after 3s\n"
      "     TCP_CHECK 198.51.100.21:443: down, last failed 0.7s ago: connect timed out after 3s\n"
      "       probes 30, failures 30 (connect-timeout=30), "
      "latency last/mean/max 3000.0/3000.0/3000.0 ms\n"
      "  -> 198.51.100.22:443 down: weight 0 (configured 1), 0 transitions\n"
      "     reason: TCP_CHECK 198.51.100.22:443: not proven up yet\n"
      "     TCP_CHECK 198.51.100.22:443: down, not probed yet\n"
      "       probes 0, failures 0, latency -\n"
      "  sorry server 203.0.113.50:443: active\n"
      "UDP  192.0.2.102:53 rr\n"
      "  -> 198.51.100.31:53 up: weight 1, 0 transitions\n"
      "     UDP_CHECK 198.51.100.31:53: up, not probed yet\n"
      "       probes 0, failures 0, latency -\n"
      "  sorry server 203.0.113.53:53: standby\n"
      "probes: 7 distinct (identical probes run once), 1234 run, 2 in flight\n");
}

// Without virtual servers the totals line is still printed.
TEST(HealthFormat, EmptyListShowsTotals) {
  EXPECT_EQ(formatHealth(pb::ServiceList()),
            "probes: 0 distinct (identical probes run once), 0 run, 0 in flight\n");
}

// Ages switch unit at a minute, an hour and a day, and never round up into the next unit.
TEST(HealthFormat, AgeUnits) {
  EXPECT_EQ(formatAge(0), "0.0s ago");
  EXPECT_EQ(formatAge(1299), "1.2s ago");
  EXPECT_EQ(formatAge(59999), "59.9s ago");
  EXPECT_EQ(formatAge(60000), "1m00s ago");
  EXPECT_EQ(formatAge(3599999), "59m59s ago");
  EXPECT_EQ(formatAge(3600000), "1h00m ago");
  EXPECT_EQ(formatAge(86399999), "23h59m ago");
  EXPECT_EQ(formatAge(86400000 + 3 * 3600000), "1d03h ago");
}

// Latency in milliseconds with one decimal, rounded to the nearest tenth.
TEST(HealthFormat, MillisRoundToTenths) {
  EXPECT_EQ(formatMillis(0), "0.0");
  EXPECT_EQ(formatMillis(49), "0.0");
  EXPECT_EQ(formatMillis(50), "0.1");
  EXPECT_EQ(formatMillis(1250), "1.3");
  EXPECT_EQ(formatMillis(3000000), "3000.0");
}

// A down real whose reason is missing names its failing checker and that checker's detail.
TEST(HealthFormat, DownWithoutReasonNamesFailingChecker) {
  pb::RealStatus r;
  r.set_health("down");
  auto* passing = r.add_checkers();
  passing->set_kind("MISC_CHECK");
  passing->set_target("/usr/local/bin/check-db");
  passing->set_up(true);
  passing->set_last_outcome(pb::CheckerStatus::OUTCOME_PASSED);
  passing->set_last_age_ms(100);
  auto* failing = r.add_checkers();
  failing->set_kind("TCP_CHECK");
  failing->set_target("198.51.100.12:80");
  failing->set_last_outcome(pb::CheckerStatus::OUTCOME_FAILED);
  failing->set_last_detail("connection refused");
  failing->set_last_age_ms(2000);
  EXPECT_EQ(lastCheckColumn(r), "TCP_CHECK 198.51.100.12:80: connection refused 2.0s ago");
}

// A checker with results held as inconclusive (our conntrack table under pressure) shows their
// count after its failures, and its last result says why it was not counted.
TEST(HealthFormat, ShowsInconclusiveResults) {
  pb::ServiceList list;
  auto* s = list.add_services();
  s->set_protocol("TCP");
  s->set_vip("192.0.2.100");
  s->set_port(9000);
  s->set_scheduler("mh");
  auto* r = s->add_reals();
  r->set_address("198.51.100.11");
  r->set_port(9000);
  r->set_weight(1);
  r->set_configured_weight(1);
  r->set_in_rotation(true);
  r->set_health("up");
  auto* c = r->add_checkers();
  c->set_kind("TCP_CHECK");
  c->set_target("198.51.100.11:9000");
  c->set_up(true);
  c->set_last_outcome(pb::CheckerStatus::OUTCOME_FAILED);
  c->set_last_detail(
      "inconclusive (conntrack table full: 262144 of 262144 entries): no answer within 500 ms");
  c->set_last_age_ms(300);
  c->set_probes(26);
  c->set_inconclusive(7);
  const std::string text = formatHealth(list);
  EXPECT_NE(
      text.find(
          "       probes 26, failures 0, inconclusive 7, latency last/mean/max 0.0/0.0/0.0 ms\n"),
      std::string::npos)
      << text;
  EXPECT_EQ(lastCheckColumn(*r),
            "failed, retrying: TCP_CHECK 198.51.100.11:9000: inconclusive (conntrack table full: "
            "262144 of "
            "262144 entries): no answer within 500 ms 0.3s ago");
}

// A down real without checker status (the snapshot raced a reload) still shows its reason.
TEST(HealthFormat, DownWithoutCheckers) {
  pb::RealStatus r;
  r.set_health("down");
  r.set_reason("TCP_CHECK 198.51.100.12:80: connection refused");
  EXPECT_EQ(healthColumn(r), "down");
  EXPECT_EQ(lastCheckColumn(r), "TCP_CHECK 198.51.100.12:80: connection refused");
}

}  // namespace
}  // namespace ha::director
