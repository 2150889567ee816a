// ftp_helper [on|off] (ours; keepalived has none): what the config refuses.
#include <gtest/gtest.h>

#include "tests/unit/director/config/config_test_util.h"

namespace ha::director {
namespace {

using testing::hasError;
using testing::isClean;
using testing::load;

// Refusals name file:line and the reason, and the config is refused whole (nothing is applied).
TEST(ConfigFtpHelper, RefusedOnDrAndUdpAndBadValues) {
  auto r = load(
      "static_ipaddress {\n  192.0.2.5/32 dev lan0\n}\n"
      "virtual_server 192.0.2.5 21 {\n  lb_kind DR\n  lb_algo sh\n  ftp_helper on\n}\n"
      "virtual_server 192.0.2.6 21 {\n  protocol UDP\n  ftp_helper\n  real_server 10.0.0.1 21\n}\n"
      "virtual_server 192.0.2.7 21 {\n  ftp_helper maybe\n  real_server 10.0.0.1 21\n}\n"
      "virtual_server 192.0.2.8 21 {\n  ftp_helper on off\n  real_server 10.0.0.1 21\n}\n");
  EXPECT_TRUE(r.hasErrors());
  EXPECT_TRUE(hasError(r, 7,
                       "virtual_server TCP 192.0.2.5:21: ftp_helper needs lb_kind NAT or FNAT: DR "
                       "rewrites no address"));
  EXPECT_TRUE(hasError(r, 11, "virtual_server UDP 192.0.2.6:21: ftp_helper needs protocol TCP"));
  EXPECT_TRUE(hasError(r, 15, "invalid value 'maybe' for 'ftp_helper'"));
  EXPECT_TRUE(hasError(r, 19, "ftp_helper"));
}

// ftp_helper off on a DR service is accepted: it asks for what DR does anyway.
TEST(ConfigFtpHelper, OffIsAcceptedEverywhere) {
  auto r = load(
      "static_ipaddress {\n  192.0.2.5/32 dev lan0\n}\n"
      "virtual_server 192.0.2.5 21 {\n  lb_kind DR\n  lb_algo sh\n  ftp_helper off\n}\n");
  EXPECT_TRUE(isClean(r));
}

}  // namespace
}  // namespace ha::director
