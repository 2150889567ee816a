#include "director/ctl/ipvsadm_format.h"

#include <gtest/gtest.h>

#include <string>

#include "director/server/admin_codec.h"
#include "tests/unit/director/server/health_fixture.h"

namespace ha::director {
namespace {

namespace pb = directord::admin;

constexpr ListFormat kList{false, "0.1.0"};
constexpr ListFormat kStats{true, "0.1.0"};

pb::ServiceStatus* addService(pb::ServiceList& list, const std::string& protocol,
                              const std::string& vip, uint32_t port, const std::string& scheduler,
                              const std::string& mode) {
  pb::ServiceStatus* s = list.add_services();
  s->set_protocol(protocol);
  s->set_vip(vip);
  s->set_port(port);
  s->set_scheduler(scheduler);
  s->set_mode(mode);
  return s;
}

pb::RealStatus* addReal(pb::ServiceStatus* s, const std::string& address, uint32_t port,
                        uint32_t weight, uint64_t active = 0, uint64_t inactive = 0) {
  pb::RealStatus* r = s->add_reals();
  r->set_address(address);
  r->set_port(port);
  r->set_weight(weight);
  r->set_in_rotation(weight > 0);
  r->set_active_conns(active);
  r->set_inactive_conns(inactive);
  return r;
}

void setCounters(pb::Counters* c, uint64_t conns, uint64_t inPkts, uint64_t outPkts,
                 uint64_t inBytes, uint64_t outBytes) {
  c->set_conns(conns);
  c->set_in_packets(inPkts);
  c->set_out_packets(outPkts);
  c->set_in_bytes(inBytes);
  c->set_out_bytes(outBytes);
}

const std::string kBanner = "directord 0.1.0 (nftables, hash seed 0x5eed1b5a)\n";
const std::string kTitle =
    "Prot LocalAddress:Port Scheduler Flags\n"
    "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn  Health    LastCheck\n";

// A FULLNAT wrr service lists every real, sorted, the drained one with weight 0 (ipvsadm -Ln).
TEST(IpvsadmFormat, FullNatWrrWithThreeReals) {
  pb::ServiceList list;
  list.set_hash_seed(0x5eed1b5a);
  auto* s = addService(list, "TCP", "192.0.2.100", 80, "wrr", "FNAT");
  addReal(s, "198.51.100.13", 80, 0);
  addReal(s, "198.51.100.11", 80, 3, 12, 1);
  addReal(s, "198.51.100.12", 80, 2, 7, 0);
  EXPECT_EQ(
      formatServiceList(list, kList),
      kBanner + kTitle +
          "TCP  192.0.2.100:80 wrr\n"
          "  -> 198.51.100.11:80             FullNat 3      12         1          -         -\n"
          "  -> 198.51.100.12:80             FullNat 2      7          0          -         -\n"
          "  -> 198.51.100.13:80             FullNat 0      0          0          -         -\n");
}

// Persistence shows as "persistent N" after the scheduler; NAT reals forward as "Masq".
TEST(IpvsadmFormat, PersistentNatService) {
  pb::ServiceList list;
  list.set_hash_seed(0x5eed1b5a);
  auto* s = addService(list, "TCP", "192.0.2.101", 443, "rr", "NAT");
  s->set_persistence_timeout(300);
  addReal(s, "198.51.100.11", 8443, 1, 1, 2);
  EXPECT_EQ(
      formatServiceList(list, kList),
      kBanner + kTitle +
          "TCP  192.0.2.101:443 rr persistent 300\n"
          "  -> 198.51.100.11:8443           Masq    1      1          2          -         -\n");
}

// IPv6 endpoints are bracketed and sort after every IPv4 service, as ipvs_cmp_services orders.
TEST(IpvsadmFormat, Ipv6ServiceSortsAfterIpv4) {
  pb::ServiceList list;
  list.set_hash_seed(0x5eed1b5a);
  auto* v6 = addService(list, "UDP", "fd00:2::100", 53, "sh", "FNAT");
  addReal(v6, "fd00:1::12", 53, 1);
  addReal(v6, "fd00:1::11", 53, 1);
  auto* udp4 = addService(list, "UDP", "192.0.2.100", 53, "rr", "FNAT");
  addReal(udp4, "198.51.100.11", 53, 1);
  auto* tcp4 = addService(list, "TCP", "192.0.2.100", 53, "rr", "FNAT");
  addReal(tcp4, "198.51.100.11", 53, 1);
  EXPECT_EQ(
      formatServiceList(list, kList),
      kBanner + kTitle +
          "TCP  192.0.2.100:53 rr\n"
          "  -> 198.51.100.11:53             FullNat 1      0          0          -         -\n"
          "UDP  192.0.2.100:53 rr\n"
          "  -> 198.51.100.11:53             FullNat 1      0          0          -         -\n"
          "UDP  [fd00:2::100]:53 sh\n"
          "  -> [fd00:1::11]:53              FullNat 1      0          0          -         -\n"
          "  -> [fd00:1::12]:53              FullNat 1      0          0          -         -\n");
}

// A DR Maglev service prints its scheduler flags in parentheses and "Route" reals.
TEST(IpvsadmFormat, DirectRoutingMaglevWithPortFlag) {
  pb::ServiceList list;
  list.set_hash_seed(0x5eed1b5a);
  auto* s = addService(list, "TCP", "192.0.2.102", 80, "mh", "DR");
  s->add_scheduler_flags("mh-port");
  addReal(s, "198.51.100.11", 80, 1);
  addReal(s, "198.51.100.12", 80, 1);
  EXPECT_EQ(
      formatServiceList(list, kList),
      kBanner + kTitle +
          "TCP  192.0.2.102:80 mh (mh-port)\n"
          "  -> 198.51.100.11:80             Route   1      0          0          -         -\n"
          "  -> 198.51.100.12:80             Route   1      0          0          -         -\n");
}

// --stats: ipvsadm's 9-column counters, large ones shortened with K/M/G/T.
TEST(IpvsadmFormat, StatsLayoutWithLargeNumbers) {
  pb::ServiceList list;
  list.set_hash_seed(0x5eed1b5a);
  auto* s = addService(list, "TCP", "192.0.2.100", 80, "wrr", "FNAT");
  setCounters(s->mutable_counters(), 1234, 123456789, 99999999, 98765432109ULL, 1234567890123ULL);
  auto* r = addReal(s, "198.51.100.11", 80, 3);
  setCounters(r->mutable_counters(), 1234, 123456789, 99999999, 98765432109ULL, 1234567890123ULL);
  auto* idle = addReal(s, "198.51.100.12", 80, 0);
  setCounters(idle->mutable_counters(), 0, 0, 0, 0, 123456789012345678ULL);
  EXPECT_EQ(formatServiceList(list, kStats),
            kBanner +
                "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n"
                "  -> RemoteAddress:Port\n"
                "TCP  192.0.2.100:80                   1234  123456K 99999999   98765M    1234G\n"
                "  -> 198.51.100.11:80                 1234  123456K 99999999   98765M    1234G\n"
                "  -> 198.51.100.12:80                    0        0        0        0  123456T\n");
}

void setRates(pb::Rates* r, double cps, double inPps, double outPps, double inBps, double outBps) {
  r->set_conns_per_second(cps);
  r->set_in_packets_per_second(inPps);
  r->set_out_packets_per_second(outPps);
  r->set_in_bytes_per_second(inBps);
  r->set_out_bytes_per_second(outBps);
}

// --rate: ipvsadm's title (CPS InPPS OutPPS InBPS OutBPS) and 9-column numbers, the estimator's
// rates rounded to whole numbers; --rate wins over --stats, as in ipvsadm.
TEST(IpvsadmFormat, RateLayout) {
  pb::ServiceList list;
  list.set_hash_seed(0x5eed1b5a);
  auto* s = addService(list, "TCP", "192.0.2.100", 80, "wrr", "FNAT");
  setCounters(s->mutable_counters(), 1, 2, 3, 4, 5);
  setRates(s->mutable_rates(), 12.5, 1000.4, 999.6, 123456789.0, 0.0);
  auto* r = addReal(s, "198.51.100.11", 80, 3);
  setRates(r->mutable_rates(), 12.49, 1000.4, 999.6, 123456789.0, 0.0);
  addReal(s, "198.51.100.12", 80, 1);
  const std::string expected =
      kBanner +
      "Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS\n"
      "  -> RemoteAddress:Port\n"
      "TCP  192.0.2.100:80                     13     1000     1000  123456K        0\n"
      "  -> 198.51.100.11:80                   12     1000     1000  123456K        0\n"
      "  -> 198.51.100.12:80                    0        0        0        0        0\n";
  EXPECT_EQ(formatServiceList(list, ListFormat{false, "0.1.0", true}), expected);
  EXPECT_EQ(formatServiceList(list, ListFormat{true, "0.1.0", true}), expected);
}

// print_largenum's thresholds, at and around each boundary.
TEST(IpvsadmFormat, LargeNumberBoundaries) {
  EXPECT_EQ(formatLargeNumber(0), "        0");
  EXPECT_EQ(formatLargeNumber(99999999), " 99999999");
  EXPECT_EQ(formatLargeNumber(100000000), "  100000K");
  EXPECT_EQ(formatLargeNumber(999999999), "  999999K");
  EXPECT_EQ(formatLargeNumber(1000000000), "    1000M");
  EXPECT_EQ(formatLargeNumber(99999999999ULL), "   99999M");
  EXPECT_EQ(formatLargeNumber(100000000000ULL), "     100G");
  EXPECT_EQ(formatLargeNumber(100000000000000ULL), "     100T");
}

// --exact prints whole numbers where ipvsadm's print_largenum scales: 9 columns while they fit,
// one blank more than the digits past that.
TEST(IpvsadmFormat, ExactStatsPrintWholeNumbers) {
  pb::ServiceList list;
  list.set_hash_seed(0x5eed1b5a);
  auto* s = addService(list, "TCP", "192.0.2.100", 80, "wrr", "FNAT");
  setCounters(s->mutable_counters(), 1234, 123456789, 99999999, 98765432109ULL, 1234567890123ULL);
  auto* r = addReal(s, "198.51.100.11", 80, 3);
  setCounters(r->mutable_counters(), 1234, 123456789, 99999999, 98765432109ULL, 1234567890123ULL);
  ListFormat exact = kStats;
  exact.exact = true;
  EXPECT_EQ(formatServiceList(list, exact),
            kBanner +
                "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n"
                "  -> RemoteAddress:Port\n"
                "TCP  192.0.2.100:80                   1234 123456789 99999999 98765432109 "
                "1234567890123\n"
                "  -> 198.51.100.11:80                 1234 123456789 99999999 98765432109 "
                "1234567890123\n");
  EXPECT_EQ(formatLargeNumber(0, true), "        0");
  EXPECT_EQ(formatLargeNumber(12345678, true), " 12345678");
  EXPECT_EQ(formatLargeNumber(123456789, true), " 123456789");
  EXPECT_EQ(formatLargeNumber(18446744073709551615ULL, true), " 18446744073709551615");
}

// ipvsadm -L -t prints no banner; without -n the names replace addresses and ports, and an
// IPv4 name longer than ipvsadm's column is cut as ipvsadm cuts it.
TEST(IpvsadmFormat, OneServiceWithNames) {
  struct Names final : EndpointNames {
    std::string name(const IpAddress& address, uint16_t port, std::string_view protocol) override {
      EXPECT_EQ(protocol, "TCP");
      std::string host =
          address.str() == "198.51.100.11" ? "a-very-long-real-server-name.example" : "vip.example";
      return host + ":" + (port == 80 ? "http" : std::to_string(port));
    }
  } names;
  pb::ServiceList list;
  auto* s = addService(list, "TCP", "192.0.2.100", 80, "rr", "NAT");
  addReal(s, "198.51.100.11", 80, 1);
  ListFormat format = kList;
  format.banner = false;
  format.names = &names;
  EXPECT_EQ(formatServiceList(list, format),
            kTitle +
                "TCP  vip.example:http rr\n"
                "  -> a-very-long-real-server-name Masq    1      0          0          -         "
                "-\n");
}

// Forward names as ipvsadm (and DPVS for FULLNAT) print them.
TEST(IpvsadmFormat, ForwardNames) {
  EXPECT_EQ(forwardName("NAT"), "Masq");
  EXPECT_EQ(forwardName("DR"), "Route");
  EXPECT_EQ(forwardName("TUN"), "Tunnel");
  EXPECT_EQ(forwardName("FNAT"), "FullNat");
}

// Each real line keeps ipvsadm's columns and adds its health and last check: up, down with the
// reason, inhibited, a retry pending, not probed, no checkers; a lost quorum and the active sorry
// server show on the service.
TEST(IpvsadmFormat, ListShowsHealthOfEachReal) {
  auto list = toServiceList(fixture::healthFixture(), fixture::kFixtureNow);
  EXPECT_EQ(
      formatServiceList(list, kList),
      kBanner + kTitle +
          "TCP  192.0.2.100:80 wrr\n"
          "  -> 198.51.100.11:80             Masq    3      12         1          up        "
          "ok 0.4s ago\n"
          "  -> 198.51.100.12:80             Masq    0      0          4          down      "
          "TCP_CHECK 198.51.100.12:80: connection refused 1.2s ago\n"
          "  -> 198.51.100.13:80             Masq    0      7          0          inhibited "
          "HTTP_GET 198.51.100.13:80 /health: HTTP 503 for /health (expected 200-299) 2.5s ago\n"
          "  -> 198.51.100.14:80             Masq    1      0          0          -         -\n"
          "  -> 198.51.100.15:80             Masq    5      0          0          up        "
          "failed, retrying: TCP_CHECK 198.51.100.15:80: connect timed out after 3s 0.3s ago\n"
          "TCP  192.0.2.101:443 rr (quorum lost)\n"
          "  -> 198.51.100.21:443            Masq    0      0          0          down      "
          "TCP_CHECK 198.51.100.21:443: connect timed out after 3s 0.7s ago\n"
          "  -> 198.51.100.22:443            Masq    0      0          0          down      "
          "TCP_CHECK 198.51.100.22:443: not proven up yet\n"
          "  -> 203.0.113.50:443 (sorry server, active)\n"
          "UDP  192.0.2.102:53 rr\n"
          "  -> 198.51.100.31:53             FullNat 1      0          0          up        "
          "not probed yet\n");
}

// --stats stays ipvsadm's counters only: no health columns, no sorry-server line.
TEST(IpvsadmFormat, StatsLeaveHealthOut) {
  auto list = toServiceList(fixture::healthFixture(), fixture::kFixtureNow);
  EXPECT_EQ(formatServiceList(list, kStats),
            kBanner +
                "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n"
                "  -> RemoteAddress:Port\n"
                "TCP  192.0.2.100:80                      0        0        0        0        0\n"
                "  -> 198.51.100.11:80                    0        0        0        0        0\n"
                "  -> 198.51.100.12:80                    0        0        0        0        0\n"
                "  -> 198.51.100.13:80                    0        0        0        0        0\n"
                "  -> 198.51.100.14:80                    0        0        0        0        0\n"
                "  -> 198.51.100.15:80                    0        0        0        0        0\n"
                "TCP  192.0.2.101:443                     0        0        0        0        0\n"
                "  -> 198.51.100.21:443                   0        0        0        0        0\n"
                "  -> 198.51.100.22:443                   0        0        0        0        0\n"
                "UDP  192.0.2.102:53                      0        0        0        0        0\n"
                "  -> 198.51.100.31:53                    0        0        0        0        0\n");
}

// No services still prints the banner and column titles, as ipvsadm does.
TEST(IpvsadmFormat, EmptyTableKeepsTitles) {
  pb::ServiceList list;
  list.set_hash_seed(0x1);
  EXPECT_EQ(formatServiceList(list, kList),
            "directord 0.1.0 (nftables, hash seed 0x00000001)\n" + kTitle);
}

// ipvsadm -L --timeout's line, from the list reply's timeouts.
TEST(IpvsadmFormat, Timeouts) {
  pb::ServiceList list;
  list.mutable_timeouts()->set_tcp(900);
  list.mutable_timeouts()->set_tcpfin(120);
  list.mutable_timeouts()->set_udp(300);
  EXPECT_EQ(formatTimeouts(list), "Timeout (tcp tcpfin udp): 900 120 300\n");
}

}  // namespace
}  // namespace ha::director
