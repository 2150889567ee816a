// The rate estimator on fakes: idle until a caller asks for rates (each sample dumps every flow of
// ours), started by the first ask, which says it is warming up; later asks find it running.
#include <gtest/gtest.h>

#include "tests/unit/director/node/node_harness.h"

namespace ha::director::test {
namespace {

constexpr const char* kConfig = R"(
virtual_server 192.0.2.10 80 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.11 80 {
    }
}
)";

TEST(NodeRates, EstimatorStartsWhenRatesAreAskedFor) {
  NodeRig rig;
  Node& node = rig.started(kConfig, Wiring{.health = false});
  auto plain = rig.ask([&] { return node.snapshot(); });
  ASSERT_TRUE(plain) << plain.error();
  EXPECT_FALSE(plain->ratesWarmingUp);
  // Had the start or the plain snapshot started it, this ask would find it running.
  auto first = rig.ask([&] { return node.snapshotWithRates(); });
  ASSERT_TRUE(first) << first.error();
  EXPECT_TRUE(first->ratesWarmingUp);
  auto second = rig.ask([&] { return node.snapshotWithRates(); });
  ASSERT_TRUE(second) << second.error();
  EXPECT_FALSE(second->ratesWarmingUp);
  auto plainAgain = rig.ask([&] { return node.snapshot(); });
  ASSERT_TRUE(plainAgain) << plainAgain.error();
  EXPECT_FALSE(plainAgain->ratesWarmingUp);
}

}  // namespace
}  // namespace ha::director::test
