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
  auto warmingUp = [&](bool withRates) {
    auto snap = rig.ask([&] { return withRates ? node.snapshotWithRates() : node.snapshot(); });
    EXPECT_TRUE(snap) << snap.error();
    return snap && snap->ratesWarmingUp;
  };
  EXPECT_FALSE(warmingUp(false));
  // Had the start or the plain snapshot started it, this ask would find it running.
  EXPECT_TRUE(warmingUp(true));
  EXPECT_FALSE(warmingUp(true));
  EXPECT_FALSE(warmingUp(false));
}

}  // namespace
}  // namespace ha::director::test
