// lvs_timeouts and persistence_granularity from config into the plan: the resolved timeouts
// (service, then global_defs, then IPVS's defaults) and the persistence mask.
#include <gtest/gtest.h>

#include "director/plan/forwarding_plan.h"
#include "tests/unit/director/config/config_test_util.h"

namespace ha::director {
namespace {

using testing::isClean;
using testing::load;

// keepalived's global lvs_timeouts is read, a service's own values override it one by one, and
// what neither sets is IPVS's default (900 / 120 / 300 s).
TEST(PlanConntrack, LvsTimeoutsResolveServiceThenGlobalThenIpvs) {
  auto r = load(
      "global_defs {\n  lvs_timeouts tcp 700 udp 50\n}\n"
      "virtual_server 192.0.2.1 80 {\n  lvs_timeouts tcpfin 30\n}\n"
      "virtual_server 192.0.2.1 53 {\n  protocol UDP\n  lvs_timeouts udp 7 tcp 0\n}\n");
  ASSERT_TRUE(isClean(r));
  EXPECT_EQ(r.config.globals.lvsTimeouts.tcpSec, 700u);
  EXPECT_FALSE(r.config.globals.lvsTimeouts.tcpFinSec);
  const auto a =
      resolveTimeouts(r.config.globals.lvsTimeouts, r.config.virtualServers[0].lvsTimeouts);
  EXPECT_EQ(timeoutsText(a), "tcp 700 tcpfin 30 udp 50");
  // tcp 0: unchanged (keepalived and ipvsadm read 0 so), so the global 700 stays.
  const auto b =
      resolveTimeouts(r.config.globals.lvsTimeouts, r.config.virtualServers[1].lvsTimeouts);
  EXPECT_EQ(timeoutsText(b), "tcp 700 tcpfin 120 udp 7");
  EXPECT_EQ(timeoutsText(resolveTimeouts({}, {})), "tcp 900 tcpfin 120 udp 300");
  EXPECT_TRUE(resolveTimeouts({}, {}).isDefault());
}

// Without persistence the granularity has nothing to key (IPVS ignores it too): the plan drops it.
TEST(PlanConntrack, PlanCarriesTimeoutsAndMask) {
  auto r = load(
      "global_defs {\n  lvs_timeouts tcp 60\n}\n"
      "virtual_server 192.0.2.1 80 {\n  persistence_timeout 60\n  persistence_granularity "
      "255.255.0.0\n"
      "  real_server 198.51.100.11 80\n}\n"
      "virtual_server 192.0.2.1 81 {\n  persistence_granularity 255.255.0.0\n  real_server "
      "198.51.100.11 80\n}\n");
  ASSERT_TRUE(isClean(r));
  PlanInputs in;
  in.config = &r.config;
  in.serviceIds = assignServiceIds({}, r.config);
  auto plan = buildPlan(in);
  ASSERT_TRUE(plan) << plan.error();
  const auto& a = plan->services.at(1);
  EXPECT_EQ(a.persistenceMask->str(), "255.255.0.0");
  EXPECT_EQ(a.timeouts.tcpSec, 60u);
  EXPECT_FALSE(plan->services.at(2).persistenceMask);
}

// ops is refused where it cannot work: FULLNAT, persistence, and a real:port another NAT service
// also uses (its replies would be taken for the ops service's).
TEST(PlanConntrack, OpsRefusals) {
  auto planOf = [](const char* text) {
    auto r = load(text);
    EXPECT_FALSE(r.hasErrors());
    PlanInputs in;
    in.config = &r.config;
    in.serviceIds = assignServiceIds({}, r.config);
    return buildPlan(in);
  };
  auto fnat = planOf(
      "local_address_group g {\n  192.0.2.200\n}\n"
      "virtual_server 192.0.2.1 53 {\n  protocol UDP\n  lb_kind FNAT\n  laddr_group_name g\n  ops\n"
      "  real_server 198.51.100.11 53\n}\n");
  ASSERT_FALSE(fnat);
  EXPECT_NE(fnat.error().find("test.conf:4: ops on the FULLNAT virtual_server UDP 192.0.2.1:53"),
            std::string::npos)
      << fnat.error();
  auto persistent = planOf(
      "virtual_server 192.0.2.1 53 {\n  protocol UDP\n  persistence_timeout 60\n  ops\n"
      "  real_server 198.51.100.11 53\n}\n");
  ASSERT_FALSE(persistent);
  EXPECT_NE(persistent.error().find("ops with persistence_timeout"), std::string::npos)
      << persistent.error();
  auto shared = planOf(
      "virtual_server 192.0.2.1 53 {\n  protocol UDP\n  real_server 198.51.100.11 53\n}\n"
      "virtual_server 192.0.2.1 5353 {\n  protocol UDP\n  ops\n  real_server 198.51.100.11 "
      "53\n}\n");
  ASSERT_FALSE(shared);
  EXPECT_NE(shared.error().find(
                "test.conf:5: ops virtual_server UDP 192.0.2.1:5353: real 198.51.100.11:53 also "
                "serves UDP 192.0.2.1:53 (test.conf:1)"),
            std::string::npos)
      << shared.error();
  auto fine = planOf(
      "virtual_server 192.0.2.1 5353 {\n  protocol UDP\n  ops\n  real_server 198.51.100.11 "
      "5300\n}\n");
  ASSERT_TRUE(fine) << fine.error();
  EXPECT_TRUE(fine->services.begin()->second.oneShot);
}

}  // namespace
}  // namespace ha::director
