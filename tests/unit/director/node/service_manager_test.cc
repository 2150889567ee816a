// STATUS= for systemctl status: services counted, each VRRP instance's state, or why VRRP did
// not answer.
#include "director/node/service_manager.h"

#include <gtest/gtest.h>

namespace ha::director {
namespace {

// Services and every instance's state, in order.
TEST(StatusLine, ServicesAndVrrpStates) {
  vrrp::RouterSnapshot snap;
  snap.instances.emplace_back().name = "VI_1";
  snap.instances.back().state = vrrp::State::kMaster;
  snap.instances.emplace_back().name = "VI_2";
  snap.instances.back().state = vrrp::State::kBackup;
  EXPECT_EQ(statusLine(3, snap),
            "running: 3 virtual services; VRRP MASTER on VI_1, BACKUP on VI_2");
  EXPECT_EQ(statusLine(1, vrrp::RouterSnapshot{}), "running: 1 virtual service");
  EXPECT_EQ(statusLine(0, Error{"the VRRP thread did not answer"}),
            "running: 0 virtual services; VRRP not answering: the VRRP thread did not answer");
}

}  // namespace
}  // namespace ha::director
