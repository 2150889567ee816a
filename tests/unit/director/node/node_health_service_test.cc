// The node with the real health service (its own thread, healthcheck::Service) and scripted
// checkers (tests/fakes/fake_checker.h), wired as directord wires them: a real whose probes start
// failing leaves the kernel's backends in exactly one transaction, and the verdicts that follow
// (the real still failing) add none.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "healthcheck/service.h"
#include "tests/fakes/fake_checker.h"
#include "tests/fakes/fake_process_runner.h"
#include "tests/unit/director/node/node_harness.h"

namespace ha::director::test {
namespace {

// Probes every 50 ms from the start; one failure takes a real down (retry 0).
constexpr const char* kConfig = R"(
virtual_server 192.0.2.10 80 {
    lb_algo mh
    lb_kind NAT
    protocol TCP
    delay_loop 0.05
    retry 0
    warmup 0
    real_server 198.51.100.11 80 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
    real_server 198.51.100.12 80 {
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
)";

class NodeHealthServiceTest : public NodeHarness {};

// From the checker's failure to one patch transaction, through the health thread's listener.
TEST_F(NodeHealthServiceTest, FailingProbesMakeExactlyOnePatch) {
  ha::test::FakeChecks checks;
  std::atomic<Node*> target{nullptr};
  healthcheck::ServicePorts healthPorts;
  healthPorts.makeChecker = checks.factory();
  ha::test::FakeProcesses processes;
  healthPorts.makeProcessRunner = processes.factory();
  auto service = healthcheck::Service::start(
      [&target](std::vector<healthcheck::HealthEvent> events) {
        if (Node* n = target.load()) n->onHealthEvents(std::move(events));
      },
      std::move(healthPorts), healthcheck::ServiceOptions{.seed = 3});
  writeConfig(kConfig);
  Node& n = makeNode({}, std::move(service));
  target.store(&n);
  auto st = n.start(parse(kConfig));
  ASSERT_TRUE(st) << st.error();
  ASSERT_EQ(nft_->attempted.size(), 1u);

  const std::string probe = "TCP_CHECK 198.51.100.12:80";
  ASSERT_TRUE(runUntil([&] { return checks.probeCount(probe) >= 2; })) << "probes run";
  EXPECT_EQ(nft_->attempted.size(), 1u) << "passing probes change nothing";
  checks.setStanding(probe, healthcheck::ProbeResult::fail(
                                healthcheck::FailureReason::kConnectRefused, "connection refused"));
  ASSERT_TRUE(runUntil([&] { return nft_->attempted.size() == 2; }));
  EXPECT_EQ(structuralOps(nft_->attempted[1]), 0u);
  EXPECT_EQ(backendsTo(endpoint("198.51.100.12", 80)), 0u);
  EXPECT_EQ(backendsTo(endpoint("198.51.100.11", 80)), kDefaultMaglevTableSize);

  const size_t failedSoFar = checks.probeCount(probe);
  ASSERT_TRUE(runUntil([&] { return checks.probeCount(probe) >= failedSoFar + 3; }));
  n.runReady();
  EXPECT_EQ(nft_->attempted.size(), 2u) << "a real that stays down is not patched again";
  n.stop();
  target.store(nullptr);
}

}  // namespace
}  // namespace ha::director::test
