// The connection-count schedulers on fakes: the node follows a wlc service's flows through
// conntrack's events and keeps its 16 slots on IPVS's next pick, one element transaction per
// steering pass; lost events are recovered by a dump, and a node without the feed spreads by
// weight and says so.
#include <gtest/gtest.h>

#include "director/sched/least_connection.h"
#include "tests/unit/director/node/node_harness.h"

namespace ha::director::test {
namespace {

constexpr const char* kConfig = R"(
virtual_server 192.0.2.10 80 {
    lb_algo wlc
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.11 80 {
    }
    real_server 198.51.100.12 80 {
    }
    real_server 198.51.100.13 80 {
        weight 2
    }
}
)";

const Endpoint kA = endpoint("198.51.100.11", 80);
const Endpoint kB = endpoint("198.51.100.12", 80);
const Endpoint kC = endpoint("198.51.100.13", 80);

class NodeSteering : public NodeHarness {
 protected:
  Node& start() {
    Node& node = started(kConfig, Wiring{.health = false, .flowEvents = true});
    EXPECT_NE(events_, nullptr);
    id_ = service("192.0.2.10", 80).plan.id;
    return node;
  }
  // An established client flow to `real` (ESTABLISHED, as conntrack reports it).
  conntrack::FlowEntry flowTo(const Endpoint& real, uint16_t clientPort, uint8_t tcpState = 3) {
    conntrack::FlowEntry e;
    e.l4proto = conntrack::kProtoTcp;
    e.original = {ip("203.0.113.1"), ip("192.0.2.10"), clientPort, 80};
    e.reply = {real.address, ip("203.0.113.1"), real.port, clientPort};
    e.tcpState = tcpState;
    e.mark = nft::serviceMark(id_);
    return e;
  }
  uint32_t id_ = 0;  // asked once: asking runs the loop, which would read events between pushes
  void open(const Endpoint& real, uint16_t clientPort) {
    events_->pushEvent({conntrack::FlowOp::kUpsert, flowTo(real, clientPort)});
  }
  uint32_t activeOn(const Endpoint& real) {
    for (const auto& r : service("192.0.2.10", 80).plan.reals) {
      if (r.endpoint == real) return r.activeConns;
    }
    return 0;
  }
  // Runs the loop until every slot of the service points at `real`.
  bool steeredTo(const Endpoint& real) {
    bool done = runUntil([&] { return backendsTo(real) == kCountSlots; });
    if (!done) {
      ADD_FAILURE() << "slots: a " << backendsTo(kA) << ", b " << backendsTo(kB) << ", c "
                    << backendsTo(kC) << "; pending events "
                    << (events_ != nullptr ? events_->pending() : 0);
    }
    return done;
  }
};

TEST_F(NodeSteering, TheTableHoldsIpvsNextPickAsConnectionsOpenAndClose) {
  Node& node = start();
  // No connection yet: wlc's first pick is the list head.
  ASSERT_TRUE(steeredTo(kA));
  size_t transactions = nft_->attempted.size();
  open(kA, 40000);
  ASSERT_TRUE(steeredTo(kB));  // a: 256/1, b: 0
  open(kB, 40001);
  ASSERT_TRUE(steeredTo(kC));  // b: 256/1, c: 0/2
  open(kC, 40002);
  ASSERT_TRUE(runUntil([&] { return activeOn(kC) == 1; }));
  EXPECT_EQ(backendsTo(kC), kCountSlots);  // c: 256/2 is the least per weight unit
  open(kC, 40003);
  ASSERT_TRUE(steeredTo(kA));  // all 256 per unit: the first of equals
  // Each pass edited only this service's slot elements.
  for (size_t i = transactions; i < nft_->attempted.size(); ++i) {
    EXPECT_EQ(structuralOps(nft_->attempted[i]), 0u) << i;
  }
  auto answer = ask([&] {
    return node.lookup(FlowQuery{Protocol::kTcp, ip("203.0.113.9"), 5555, ip("192.0.2.10"), 80});
  });
  ASSERT_TRUE(answer);
  ASSERT_TRUE(answer->real.has_value());
  EXPECT_EQ(*answer->real, kA);
  EXPECT_NE(answer->explanation.find("wlc: the next connection goes to 198.51.100.11:80 (1 active"),
            std::string::npos)
      << answer->explanation;
  // b's flow closes (TIME_WAIT is inactive) and then goes: b is the least loaded again.
  events_->pushEvent({conntrack::FlowOp::kUpsert, flowTo(kB, 40001, 7)});
  ASSERT_TRUE(steeredTo(kB));
  auto snap = service("192.0.2.10", 80);
  for (const auto& r : snap.plan.reals) {
    if (r.endpoint == kB) {
      EXPECT_EQ(r.inactiveConns, 1u);
    }
  }
}

// Two connections seen in one pass: the table carries IPVS's next two picks, half each.
TEST_F(NodeSteering, ABurstIsSpreadAsIpvsWouldPlaceIt) {
  start();
  ASSERT_TRUE(steeredTo(kA));
  open(kA, 40000);
  open(kA, 40001);
  // a 2 active (read in one pass); IPVS's next two: b (0, listed before c), then c (0/2) -> 8
  // and 8.
  ASSERT_TRUE(runUntil([&] { return backendsTo(kB) == 8 && backendsTo(kC) == 8; }));
}

// A refused transaction is tried again on a timer (a quiet service sends no event to do it), a
// second later: the table reaches IPVS's next pick without another connection.
TEST_F(NodeSteering, ARefusedTransactionIsRetriedWithoutAnotherEvent) {
  start();
  ASSERT_TRUE(steeredTo(kA));
  nft_->fake.failNextCommit("Device or resource busy");
  const auto refusedAt = std::chrono::steady_clock::now();
  std::string log = logged([&] {
    open(kA, 40000);
    ASSERT_TRUE(steeredTo(kB));
  });
  EXPECT_GE(std::chrono::steady_clock::now() - refusedAt,
            kSteerRetryAfter - std::chrono::milliseconds(50));
  EXPECT_NE(log.find("connection-count tables not applied, nf_tables transaction failed (retried "
                     "in 1000 ms): Device or resource busy"),
            std::string::npos)
      << log;
}

TEST_F(NodeSteering, LostEventsAreRecoveredFromADump) {
  start();
  ASSERT_TRUE(steeredTo(kA));
  uint32_t id = id_;
  // The kernel holds flows the events never told: two on a, two on b, four on c (weight 2).
  for (int i = 0; i < 2; ++i) flows_->add({id, 6, kA});
  for (int i = 0; i < 1; ++i) flows_->add({id, 6, kB});
  for (int i = 0; i < 4; ++i) flows_->add({id, 6, kC});
  events_->setOverrun();
  ASSERT_TRUE(steeredTo(kB));  // a 2, b 1, c 4/2 = 2 per unit: b
}

TEST_F(NodeSteering, ANodeWithoutTheEventFeedSpreadsByWeightAndSaysSo) {
  std::string log = logged([&] { started(kConfig, Wiring{.health = false}); });
  EXPECT_NE(log.find("tables spread new connections by weight alone"), std::string::npos) << log;
  EXPECT_EQ(backendsTo(kA), 4u);
  EXPECT_EQ(backendsTo(kB), 4u);
  EXPECT_EQ(backendsTo(kC), 8u);
}

TEST_F(NodeSteering, AReloadToRoundRobinClosesTheFeedAndBackToWlcReopensIt) {
  start();
  ASSERT_TRUE(steeredTo(kA));
  std::string rr = kConfig;
  rr.replace(rr.find("wlc"), 3, "rr");
  reloadWith(rr);
  EXPECT_EQ(backendsTo(kA), 1u);  // rr: one slot per real
  reloadWith(kConfig);
  EXPECT_EQ(flowEventOpens_, 2u);
  open(kA, 40000);
  ASSERT_TRUE(steeredTo(kB));
}

}  // namespace
}  // namespace ha::director::test
