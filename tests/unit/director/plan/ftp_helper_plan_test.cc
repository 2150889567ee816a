// Which services get the kernel's FTP helper: ftp_helper [on|off] over ip_vs_ftp's port rule.
#include <gtest/gtest.h>

#include "director/plan/forwarding_plan.h"
#include "tests/unit/director/config/config_test_util.h"

namespace ha::director {
namespace {

using testing::isClean;
using testing::load;

constexpr const char* kLaddr = "local_address_group g {\n  198.51.100.200\n}\n";  // lines 1-3

// As ip_vs_ftp (ports=21): TCP port 21 under NAT or FULLNAT gets the helper unless turned off;
// another port gets it when asked; DR, UDP and other ports do not.
TEST(PlanFtpHelper, PortTwentyOneByDefaultAndTheKeywordOverrides) {
  auto r = load(std::string(kLaddr) +
                "virtual_server 192.0.2.1 21 {\n  real_server 10.0.0.1 21\n}\n"
                "virtual_server 192.0.2.2 21 {\n  lb_kind FNAT\n  laddr_group_name g\n"
                "  real_server 10.0.0.1 21\n}\n"
                "virtual_server 192.0.2.3 2121 {\n  ftp_helper\n  real_server 10.0.0.1 2121\n}\n"
                "virtual_server 192.0.2.4 21 {\n  ftp_helper off\n  real_server 10.0.0.1 21\n}\n"
                "virtual_server 192.0.2.5 21 {\n  lb_kind DR\n  lb_algo sh\n}\n"
                "virtual_server 192.0.2.6 21 {\n  protocol UDP\n  real_server 10.0.0.1 21\n}\n"
                "virtual_server 192.0.2.7 80 {\n  real_server 10.0.0.1 80\n}\n"
                "virtual_server 192.0.2.8 2121 {\n  ftp_helper yes\n  lb_kind FULLNAT\n"
                "  laddr_group_name g\n  real_server 10.0.0.1 21\n}\n"
                "static_ipaddress {\n  192.0.2.5/32 dev lan0\n}\n");
  ASSERT_TRUE(isClean(r));
  const auto& v = r.config.virtualServers;
  ASSERT_EQ(v.size(), 8u);
  EXPECT_FALSE(v[0].ftpHelper.has_value());
  EXPECT_EQ(v[2].ftpHelper, true);
  EXPECT_EQ(v[3].ftpHelper, false);
  const bool expected[] = {true, true, true, false, false, false, false, true};
  for (size_t i = 0; i < v.size(); ++i)
    EXPECT_EQ(wantsFtpHelper(v[i]), expected[i]) << "service " << i;

  PlanInputs inputs;
  inputs.config = &r.config;
  inputs.serviceIds = assignServiceIds({}, r.config);
  inputs.ifindexes = {{"lan0", 2}};
  auto plan = buildPlan(inputs);
  ASSERT_TRUE(plan.ok()) << plan.error();
  for (size_t i = 0; i < v.size(); ++i) {
    const auto& sp = plan->services.at(inputs.serviceIds.at(serviceKeyOf(v[i])));
    EXPECT_EQ(sp.ftpHelper, expected[i]) << sp.key.str();
  }
}

}  // namespace
}  // namespace ha::director
