// Rules across statements: duplicates, references, and what each forwarding mode needs.
#include <gtest/gtest.h>

#include "tests/unit/director/config/config_test_util.h"

namespace ha::director {
namespace {

using testing::hasError;
using testing::hasNoErrors;
using testing::hasWarning;
using testing::isClean;
using testing::load;

// The same protocol, VIP and port twice is an error pointing at the first definition.
TEST(ConfigValidation, DuplicateServiceNamesFirstDefinition) {
  auto r = load(
      "virtual_server 192.0.2.1 80 {\n}\n"
      "virtual_server 192.0.2.1 80 {\n  protocol UDP\n}\n"
      "virtual_server 192.0.2.1 80 {\n}\n");
  EXPECT_TRUE(hasError(r, 6, "virtual_server TCP 192.0.2.1:80 already defined at test.conf:1"));
  EXPECT_EQ(testing::problemCount(r), 1u)
      << testing::dump(r);  // UDP on the same port is another service
}

// A real must not be the VIP, appear twice, or be of another address family.
TEST(ConfigValidation, RealServerRules) {
  auto r = load(
      "virtual_server 192.0.2.1 80 {\n"
      "  real_server 192.0.2.1 80\n"
      "  real_server 10.0.0.1 80\n"
      "  real_server 10.0.0.1 80\n"
      "  real_server fd00::1 80\n"
      "  real_server 10.0.0.2 0\n"
      "}\n");
  EXPECT_TRUE(hasError(r, 2,
                       "real_server 192.0.2.1:80 in virtual_server TCP 192.0.2.1:80: the real's "
                       "address is the VIP"));
  EXPECT_TRUE(hasError(
      r, 4,
      "real_server 10.0.0.1:80 in virtual_server TCP 192.0.2.1:80 already defined at test.conf:3"));
  EXPECT_TRUE(hasError(
      r, 5, "real_server [fd00::1]:80 is IPv6 but virtual_server TCP 192.0.2.1:80 is IPv4"));
  EXPECT_TRUE(hasError(r, 6, "NAT needs a real port 1..65535"));
}

// FNAT needs a local_address_group that exists and matches the VIP's family.
TEST(ConfigValidation, FullNatNeedsAMatchingLocalAddressGroup) {
  auto r = load(
      "local_address_group v6 {\n  fd00::1\n}\n"
      "virtual_server 192.0.2.1 80 {\n  lb_kind FNAT\n  real_server 10.0.0.1 80\n}\n"
      "virtual_server 192.0.2.1 81 {\n  lb_kind FNAT\n  laddr_group_name nope\n}\n"
      "virtual_server 192.0.2.1 82 {\n  lb_kind FNAT\n  laddr_group_name v6\n}\n"
      "virtual_server 192.0.2.1 83 {\n  lb_kind FNAT\n  laddr_group_name v6\n  real_server "
      "10.0.0.1 0\n}\n");
  EXPECT_TRUE(
      hasError(r, 5, "virtual_server TCP 192.0.2.1:80: lb_kind FNAT needs laddr_group_name"));
  EXPECT_TRUE(hasError(r, 10, "laddr_group_name names unknown local_address_group 'nope'"));
  EXPECT_TRUE(hasError(r, 14, "local_address_group v6 is IPv6 but the VIP is IPv4"));
  EXPECT_TRUE(hasError(r, 19, "FNAT needs a real port"));
}

// laddr_group_name outside FNAT is ignored with a warning.
TEST(ConfigValidation, LocalAddressGroupOutsideFullNatWarns) {
  auto r = load(
      "local_address_group g {\n  192.0.2.100\n}\n"
      "virtual_server 192.0.2.1 80 {\n  laddr_group_name g\n}\n");
  EXPECT_TRUE(hasNoErrors(r));
  EXPECT_TRUE(hasWarning(r, 5, "laddr_group_name ignored: only lb_kind FNAT uses local addresses"));
}

// The Maglev tables of all mh services hold at most 16,777,216 slots: 16 services at the largest
// mh_table_size fit, a 17th is refused at its mh_table_size line (17 lines asked for 17M plan
// entries and kernel map elements). The default size counts too.
TEST(ConfigValidation, MaglevSlotsAreCappedInAll) {
  auto services = [](int n, const std::string& size) {
    std::string text;
    for (int i = 0; i < n; ++i) {
      text += "virtual_server 192.0.2.1 " + std::to_string(1000 + i) + " {\n  lb_algo mh\n" +
              (size.empty() ? "" : "  mh_table_size " + size + "\n") + "}\n";
    }
    return text;
  };
  EXPECT_TRUE(isClean(load(services(16, "1000003"))));
  auto r = load(services(17, "1000003"));
  EXPECT_TRUE(hasError(r, 67,
                       "virtual_server TCP 192.0.2.1:1016: the Maglev tables of the mh services "
                       "so far hold 17000051 slots, more than 16777216 in all (mh_table_size)"));
  EXPECT_EQ(r.diagnostics.size(), 1u) << testing::dump(r);
  EXPECT_TRUE(isClean(load(services(4099, ""))));  // 4099 x 4093 = 16,777,207
  auto defaults = load(services(4100, ""));
  EXPECT_TRUE(hasError(defaults, 3 * 4099 + 1, "more than 16777216 in all"));
}

// DR picks reals on netdev ingress, before conntrack: rotation schedulers are refused. Without
// lb_algo, keepalived's wlc cannot count there: DR gets mh with mh-port, and a warning says so.
TEST(ConfigValidation, DrNeedsAFlowHashScheduler) {
  const char* statics = "static_ipaddress {\n  192.0.2.1/32 dev eth0\n}\n";
  auto bare = load(std::string(statics) + "virtual_server 192.0.2.1 80 {\n  lb_kind DR\n}\n");
  EXPECT_TRUE(hasNoErrors(bare));
  EXPECT_TRUE(
      hasWarning(bare, 4, "no scheduler set; keepalived's default 'wlc' counts connections"));
  ASSERT_EQ(bare.config.virtualServers.size(), 1u);
  EXPECT_EQ(bare.config.virtualServers[0].scheduler, "mh");
  EXPECT_EQ(bare.config.virtualServers[0].schedulerFlags, std::set<std::string>{"mh-port"});
  auto rr =
      load(std::string(statics) + "virtual_server 192.0.2.1 80 {\n  lb_kind DR\n  lb_algo rr\n}\n");
  EXPECT_TRUE(hasError(rr, 6,
                       "virtual_server TCP 192.0.2.1:80: DR picks reals before conntrack, so it "
                       "needs a flow-hash scheduler (sh or mh); got rr"));
  auto wrr = load(std::string(statics) +
                  "virtual_server 192.0.2.1 80 {\n  lb_kind DR\n  lb_algo wrr\n}\n");
  EXPECT_TRUE(hasError(wrr, 6, "needs a flow-hash scheduler (sh or mh); got wrr"));
  for (const char* algo : {"sh", "mh"}) {
    auto ok = load(std::string(statics) +
                   "virtual_server 192.0.2.1 80 {\n  lb_kind DR\n  lb_algo " + algo + "\n}\n");
    EXPECT_TRUE(isClean(ok)) << algo;
  }
}

// A DR VIP must be held by static_ipaddress or a vrrp_instance, which name the ingress device.
TEST(ConfigValidation, DrVipMustBeHeld) {
  auto r = load(
      "static_ipaddress {\n  192.0.2.9/24 dev eth0\n}\n"
      "virtual_server 192.0.2.1 80 {\n  lb_kind DR\n  lb_algo sh\n}\n");
  EXPECT_TRUE(hasError(r, 4,
                       "DR virtual_server TCP 192.0.2.1:80: VIP not held by any static_ipaddress "
                       "entry or vrrp_instance, cannot pick the ingress device"));
}

// DR keeps the VIP port: real port 0 is fine, another port loads with a warning.
TEST(ConfigValidation, DrRealPorts) {
  auto r = load(
      "static_ipaddress {\n  192.0.2.1/32 dev eth0\n}\n"
      "virtual_server 192.0.2.1 80 {\n  lb_kind DR\n  lb_algo mh\n"
      "  real_server 10.0.0.1 0\n  real_server 10.0.0.2 80\n  real_server 10.0.0.3 8080\n}\n");
  EXPECT_TRUE(hasNoErrors(r));
  EXPECT_TRUE(hasWarning(r, 9, "DR does not rewrite ports; the real receives port 80"));
  EXPECT_EQ(r.diagnostics.size(), 1u) << testing::dump(r);
}

// DR over IPv6 is refused for now.
TEST(ConfigValidation, DrIpv6IsNotSupportedYet) {
  auto r = load(
      "static_ipaddress {\n  fd00::1 dev eth0\n}\n"
      "virtual_server fd00::1 80 {\n  lb_algo sh\n  lb_kind DR\n}\n");
  EXPECT_TRUE(hasError(r, 6, "DR over IPv6 is not supported yet"));
}

// TUN (IPv4 in IPv4, IPv6 in IPv6, by the eBPF datapath) follows DR's rules: a held VIP, a
// flow-hash scheduler, no fwmark; reals on other ports are told they keep the VIP's.
TEST(ConfigValidation, TunFollowsDrRules) {
  auto ok = load(
      "static_ipaddress {\n  192.0.2.1/32 dev eth0\n  fd00::1 dev eth0\n}\n"
      "virtual_server 192.0.2.1 80 {\n  lb_kind TUN\n  lb_algo mh\n"
      "  real_server 203.0.113.1 80\n  real_server 203.0.113.2 8080\n}\n"
      "virtual_server fd00::1 80 {\n  lb_kind TUN\n  lb_algo sh\n  real_server fd00:2::1 80\n}\n");
  EXPECT_TRUE(hasNoErrors(ok)) << testing::dump(ok);
  EXPECT_TRUE(hasWarning(ok, 9, "TUN does not rewrite ports; the real receives port 80"));
  auto bad = load(
      "virtual_server 192.0.2.1 80 {\n  lb_kind TUN\n  lb_algo rr\n}\n"
      "virtual_server fwmark 5 {\n  lb_kind TUN\n  lb_algo sh\n}\n");
  EXPECT_TRUE(hasError(bad, 3,
                       "TUN picks reals before conntrack, so it needs a flow-hash scheduler (sh "
                       "or mh); got rr"));
  EXPECT_TRUE(hasError(bad, 1,
                       "TUN virtual_server TCP 192.0.2.1:80: VIP not held by any static_ipaddress "
                       "entry or vrrp_instance, cannot pick the ingress device"));
  EXPECT_TRUE(hasError(bad, 6, "a service selected by fwmark cannot use lb_kind TUN"));
}

// DR and TUN keep no per-client state: persistence_timeout is ignored, with the reason.
TEST(ConfigValidation, PersistenceAtIngressIsIgnoredWithAWarning) {
  auto r = load(
      "static_ipaddress {\n  192.0.2.1/32 dev eth0\n}\n"
      "virtual_server 192.0.2.1 80 {\n  lb_kind TUN\n  lb_algo mh\n  mh-port\n"
      "  persistence_timeout 300\n  real_server 203.0.113.1 80\n}\n"
      "virtual_server 192.0.2.1 81 {\n  lb_kind DR\n  lb_algo sh\n"
      "  persistence_timeout 300\n  real_server 203.0.113.1 81\n}\n");
  EXPECT_TRUE(hasNoErrors(r)) << testing::dump(r);
  EXPECT_TRUE(hasWarning(r, 4,
                         "persistence_timeout ignored: TUN keeps no per-client state; with "
                         "mh-port a client's connections spread over the reals"));
  EXPECT_TRUE(hasWarning(r, 11,
                         "a client always reaches the same real while the reals do not "
                         "change (sh hashes its address)"));
}

// TUN without lb_algo gets mh with mh-port, as DR does (no connection counts at ingress).
TEST(ConfigValidation, TunWithoutSchedulerGetsMaglev) {
  auto r = load(
      "static_ipaddress {\n  192.0.2.1/32 dev eth0\n}\n"
      "virtual_server 192.0.2.1 80 {\n  lb_kind TUN\n  real_server 203.0.113.1 80\n}\n");
  EXPECT_TRUE(hasNoErrors(r)) << testing::dump(r);
  ASSERT_EQ(r.config.virtualServers.size(), 1u);
  EXPECT_EQ(r.config.virtualServers[0].scheduler, "mh");
  EXPECT_EQ(r.config.virtualServers[0].schedulerFlags.count("mh-port"), 1u);
}

// client_address toa: FULLNAT TCP services whose VIP this config holds; nothing else.
TEST(ConfigValidation, ClientAddressToaIsForFullNatTcp) {
  const std::string head =
      "static_ipaddress {\n  192.0.2.1/32 dev eth0\n}\n"
      "local_address_group g {\n  198.51.100.200\n}\n";
  auto ok = load(head +
                 "virtual_server 192.0.2.1 80 {\n  lb_kind FNAT\n  laddr_group_name g\n"
                 "  client_address toa\n  real_server 203.0.113.1 80\n}\n");
  EXPECT_TRUE(isClean(ok)) << testing::dump(ok);
  ASSERT_EQ(ok.config.virtualServers.size(), 1u);
  EXPECT_TRUE(ok.config.virtualServers[0].clientAddressToa);
  auto bad = load(head +
                  "virtual_server 192.0.2.1 81 {\n  lb_kind NAT\n  client_address toa\n}\n"
                  "virtual_server 192.0.2.1 53 {\n  protocol UDP\n  lb_kind FNAT\n"
                  "  laddr_group_name g\n  client_address toa\n}\n"
                  "virtual_server 192.0.2.7 80 {\n  lb_kind FNAT\n  laddr_group_name g\n"
                  "  client_address toa\n}\n"
                  "virtual_server 192.0.2.1 82 {\n  client_address both\n}\n");
  EXPECT_TRUE(hasError(bad, 9, "client_address toa needs lb_kind FNAT: NAT already delivers"));
  EXPECT_TRUE(hasError(bad, 15, "client_address toa needs protocol TCP"));
  EXPECT_TRUE(
      hasError(bad, 17, "client_address toa virtual_server TCP 192.0.2.7:80: VIP not held"));
  EXPECT_TRUE(hasError(bad, 23, "toa or none"));
}

// NAT and FNAT work over IPv6.
TEST(ConfigValidation, Ipv6NatAndFullNatAreFine) {
  auto r = load(
      "local_address_group g6 {\n  fd00::100-101\n}\n"
      "virtual_server 2001:db8::1 80 {\n  real_server fd01::1 8080\n}\n"
      "virtual_server 2001:db8::1 81 {\n  lb_kind FNAT\n  laddr_group_name g6\n"
      "  real_server fd01::1 8080\n}\n");
  EXPECT_TRUE(isClean(r));
}

// A local address that is also a VIP is an error; a static address in a pool is fine.
TEST(ConfigValidation, LocalAddressMustNotBeAVip) {
  auto r = load(
      "static_ipaddress {\n  192.0.2.100/24 dev eth0\n}\n"
      "local_address_group g {\n  192.0.2.100-101\n}\n"
      "virtual_server 192.0.2.101 80 {\n  lb_kind FNAT\n  laddr_group_name g\n"
      "  real_server 10.0.0.1 80\n}\n");
  EXPECT_TRUE(hasError(r, 4,
                       "local address 192.0.2.101 in local_address_group g is the VIP of "
                       "virtual_server TCP 192.0.2.101:80"));
  EXPECT_EQ(testing::problemCount(r), 1u) << testing::dump(r);
}

// Scheduler options for another scheduler load with a warning.
TEST(ConfigValidation, SchedulerOptionsForAnotherSchedulerWarn) {
  auto r = load("virtual_server 192.0.2.1 80 {\n  lb_algo sh\n  mh_table_size 251\n  mh-port\n}\n");
  EXPECT_TRUE(hasNoErrors(r));
  EXPECT_TRUE(hasWarning(r, 3, "mh_table_size ignored: lb_algo is sh"));
  EXPECT_TRUE(hasWarning(r, 4, "mh-port ignored: lb_algo is sh"));
}

// One run reports every problem, from every pass, rather than stopping at the first.
TEST(ConfigValidation, ReportsAllProblemsInOneRun) {
  auto r = load(
      "global_defs {\n  lb_hash_seed nope\n}\n"
      "virtual_server 192.0.2.1 80 {\n  lb_kind DR\n  bogus\n}\n"
      "vrrp_instance VI_1 {\n}\n"
      "local_address_group g {\n}\n"
      "}\n");
  EXPECT_TRUE(hasError(r, 2, "lb_hash_seed"));
  EXPECT_TRUE(hasError(r, 4, "VIP not held by any static_ipaddress entry"));
  EXPECT_TRUE(hasWarning(r, 4, "setting 'mh' with mh-port"));
  EXPECT_TRUE(hasError(r, 6, "unknown keyword 'bogus' in virtual_server"));
  EXPECT_TRUE(hasError(r, 8, "instance VI_1 not started: no virtual addresses configured"));
  EXPECT_TRUE(hasError(r, 10, "has no addresses"));
  EXPECT_TRUE(hasError(r, 12, "closes no block"));
}

}  // namespace
}  // namespace ha::director
