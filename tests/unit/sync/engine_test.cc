#include "sync/engine.h"

#include <gtest/gtest.h>

#include "engine_harness.h"

namespace ha::sync {
namespace {

using namespace engine_test;  // NOLINT(google-build-using-namespace)

// On connect the whole table goes over as a bulk; the receiver holds the same flows under its own
// mark, and, having every live peer's bulk, becomes ready.
TEST_F(EngineTest, BulkOnConnectCopiesTheTable) {
  Node a(net, "dirA", {"dirB"}, 0xd1000001, clock);
  ASSERT_EQ(a.table.apply({{FlowOp::kUpsert, flow(1000)}, {FlowOp::kUpsert, flow(1001)}}).created, 2u);
  Node b(net, "dirB", {"dirA"}, 0xd1000005, clock);
  net.connectAll();
  net.run();
  EXPECT_EQ(b.flows(), withMark(a.flows(), 0xd1000005));
  EXPECT_TRUE(b.engine->ready());
  EXPECT_EQ(b.readyCalls, std::vector<bool>{true});
  const auto sa = a.engine->snapshot();
  EXPECT_EQ(sa.peers[0].bulksSent, 1u);
  EXPECT_EQ(sa.peers[0].acked, 2u);
  const auto sb = b.engine->snapshot();
  EXPECT_TRUE(sb.peers[0].bulkComplete);
  EXPECT_EQ(sb.peers[0].applied, 2u);
}

// Local events after the bulk follow incrementally: new, changed (newest state wins) and
// destroyed flows; updates of one flow queued together are coalesced.
TEST_F(EngineTest, IncrementalUpdatesAndDestroys) {
  Node a(net, "dirA", {"dirB"}, 0xd1000001, clock);
  Node b(net, "dirB", {"dirA"}, 0xd1000002, clock);
  net.connectAll();
  net.run();
  a.table.pushEvent({FlowOp::kUpsert, flow(2000, 1)});
  a.table.pushEvent({FlowOp::kUpsert, flow(2000, 3)});
  a.table.pushEvent({FlowOp::kUpsert, flow(2001)});
  a.engine->onLocalEvents();
  net.run();
  ASSERT_EQ(b.flows().size(), 2u);
  EXPECT_EQ(b.flows()[0].tcpState, 3);
  EXPECT_EQ(a.engine->snapshot().peers[0].coalesced, 1u);
  a.local({FlowOp::kRemove, flow(2000)});
  net.run();
  ASSERT_EQ(b.flows().size(), 1u);
  EXPECT_EQ(b.flows()[0].original.srcPort, 2001);
}

// An unanswered first packet is not worth a peer's table (IPVS's rule; keeps SYN floods local), nor
// is its destroy (no peer has it: it would only be refused there as not-taught).
TEST_F(EngineTest, UnrepliedFlowsStayLocal) {
  Node a(net, "dirA", {"dirB"}, 0xd1000001, clock);
  Node b(net, "dirB", {"dirA"}, 0xd1000002, clock);
  net.connectAll();
  net.run();
  FlowEntry syn = flow(3000, 1);
  syn.status = 0;
  a.local({FlowOp::kUpsert, syn});
  a.local({FlowOp::kRemove, syn});
  net.run();
  EXPECT_TRUE(b.flows().empty());
  EXPECT_EQ(b.engine->snapshot().peers[0].received, 0u);
}

// Entries for services, reals or local addresses the receiver does not know are refused and
// counted by reason; its table is untouched; an ack still answers the batch.
TEST_F(EngineTest, UnknownEntriesRefusedAndCounted) {
  Node a(net, "dirA", {"dirB"}, 0xd1000001, clock);
  Node b(net, "dirB", {"dirA"}, 0xd1000002, clock);
  net.connectAll();
  net.run();
  FlowEntry otherVip = flow(4000);
  otherVip.original.dst = ip("192.0.2.99");
  FlowEntry otherReal = flow(4001);
  otherReal.reply.src = ip("198.51.100.99");
  FlowEntry otherLaddr = flow(4002);
  otherLaddr.reply.dst = ip("198.51.100.250");
  for (const auto& f : {otherVip, otherReal, otherLaddr}) a.table.pushEvent({FlowOp::kUpsert, f});
  a.engine->onLocalEvents();
  net.run();
  EXPECT_TRUE(b.flows().empty());
  const auto peer = b.engine->snapshot().peers[0];
  EXPECT_EQ(peer.rejected, 3u);
  EXPECT_EQ(peer.rejectedBy[static_cast<size_t>(Rejection::kUnknownService)], 1u);
  EXPECT_EQ(peer.rejectedBy[static_cast<size_t>(Rejection::kUnknownReal)], 1u);
  EXPECT_EQ(peer.rejectedBy[static_cast<size_t>(Rejection::kUnknownLocalAddress)], 1u);
  EXPECT_EQ(a.engine->snapshot().peers[0].acked, 3u);
}

// A peer that keeps sending out-of-range flows has its stream reset (and may dial again); flows
// for services we lack are a config difference: refused and counted, the stream stays.
TEST_F(EngineTest, PersistentGarbageResetsTheStream) {
  Node a(net, "dirA", {"dirB"}, 0xd1000001, clock);
  Node b(net, "dirB", {"dirA"}, 0xd1000002, clock);
  net.connectAll();
  net.run();
  for (uint16_t i = 0; i < 10; ++i) {
    FlowEntry unknown = flow(static_cast<uint16_t>(5100 + i));
    unknown.original.dst = ip("192.0.2.99");
    a.local({FlowOp::kUpsert, unknown});
    net.run();
  }
  EXPECT_EQ(b.engine->snapshot().peers[0].resets, 0u);
  EXPECT_EQ(b.engine->snapshot().peers[0].rejected, 10u);
  for (uint16_t i = 0; i < 8; ++i) {
    FlowEntry bad = flow(static_cast<uint16_t>(5000 + i));
    bad.tcpState = 12;  // no such TCP state
    a.local({FlowOp::kUpsert, bad});
    net.run();
  }
  EXPECT_EQ(b.engine->snapshot().peers[0].resets, 1u);
  EXPECT_FALSE(a.engine->snapshot().peers[0].outgoingUp);
  EXPECT_TRUE(b.flows().empty());
}

// A copy taught by a peer that expires or is deleted here is not reported back: the owner's flow
// lives on. Once local traffic touches the copy, it is ours and syncs like any other — but it
// never removes the entry the other node holds as its own (counted there as not-taught).
TEST_F(EngineTest, LearnedCopiesDoNotEchoTheirDestroys) {
  Node a(net, "dirA", {"dirB"}, 0xd1000001, clock);
  Node b(net, "dirB", {"dirA"}, 0xd1000002, clock);
  net.connectAll();
  net.run();
  a.local({FlowOp::kUpsert, flow(6000)});
  a.local({FlowOp::kUpsert, flow(6001)});
  net.run();
  ASSERT_EQ(b.flows().size(), 2u);
  EXPECT_EQ(b.engine->snapshot().peers[0].taught, 2u);
  // 6000's copy times out on B: A keeps its flow.
  ASSERT_EQ(b.table.apply({{FlowOp::kRemove, flow(6000)}}).removed, 1u);
  b.local({FlowOp::kRemove, flow(6000)});
  net.run();
  EXPECT_EQ(a.flows().size(), 2u);
  EXPECT_EQ(a.engine->snapshot().peers[0].received, 0u);
  EXPECT_EQ(b.engine->snapshot().peers[0].taught, 1u);
  // B forwards 6001 after a failover and sees it close: the copy is B's now and B tells A, but
  // A's 6001 is A's own flow.
  b.local({FlowOp::kUpsert, flow(6001, 7, 0xd1000002)});
  b.local({FlowOp::kRemove, flow(6001)});
  net.run();
  EXPECT_EQ(b.engine->snapshot().peers[0].taught, 0u);
  EXPECT_EQ(a.flows().size(), 2u);
  const auto in = a.engine->snapshot().peers[0];
  EXPECT_EQ(in.received, 2u);  // TIME_WAIT (sent as a remove), then the destroy
  EXPECT_EQ(in.rejectedBy[static_cast<size_t>(Rejection::kNotTaught)], 2u);
}

// Applying the same batch twice leaves the same table (a repeated bulk after a reconnect).
TEST_F(EngineTest, RepeatedBulkIsIdempotent) {
  Node a(net, "dirA", {"dirB"}, 0xd1000001, clock);
  for (uint16_t p = 7000; p < 7100; ++p) (void)a.table.apply({{FlowOp::kUpsert, flow(p)}});
  Node b(net, "dirB", {"dirA"}, 0xd1000002, clock);
  net.connectAll();
  net.run();
  const auto once = b.flows();
  net.removeNode("dirB");  // B's stream drops; A forgets its session
  net.run();
  SyncConfig restarted;
  restarted.enabled = true;
  restarted.nodeName = "dirB";
  restarted.peers = {{"dirA", ip("198.51.100.1"), 7800}};
  b.engine = std::make_unique<Engine>(restarted, b.table, clock, nullptr);
  b.engine->setCatalog(catalogWithMark(0xd1000002));
  b.engine->attach(net.addNode("dirB", {"dirA"}, *b.engine));
  net.connectAll();
  net.run();
  EXPECT_EQ(b.flows(), once);
  EXPECT_EQ(once.size(), 100u);
}

// A restart in the middle of a bulk: the cut bulk never counts as complete, the next one
// completes, and every entry in the table is whole.
TEST_F(EngineTest, RestartMidBulkThenCompleteBulk) {
  Node a(net, "dirA", {"dirB"}, 0xd1000001, clock);
  for (uint16_t p = 10000; p < 13000; ++p) (void)a.table.apply({{FlowOp::kUpsert, flow(p)}});
  FakeConntrackTable kernelB;
  auto b = std::make_unique<Node>(net, "dirB", std::vector<std::string>{"dirA"}, 0xd1000002, clock,
                                  &kernelB);
  net.connectAll();
  net.run(6);  // up, BulkBegin and the first batch or so
  EXPECT_FALSE(b->engine->snapshot().peers[0].bulkComplete);
  EXPECT_FALSE(b->engine->ready());
  net.removeNode("dirB");
  net.run();
  const size_t partial = kernelB.dump()->size();
  EXPECT_GT(partial, 0u);
  EXPECT_LT(partial, 3000u);
  b = std::make_unique<Node>(net, "dirB", std::vector<std::string>{"dirA"}, 0xd1000002, clock,
                             &kernelB);
  net.connectAll();
  net.run();
  EXPECT_TRUE(b->engine->snapshot().peers[0].bulkComplete);
  EXPECT_TRUE(b->engine->ready());
  EXPECT_EQ(b->flows(), withMark(a.flows(), 0xd1000002));
}

// Readiness: a peer we cannot reach and that does not talk to us is not waited for; the ready
// timeout ends any wait.
TEST_F(EngineTest, ReadinessWithDeadPeerAndTimeout) {
  Node b(net, "dirB", {"dirA", "dirC"}, 0xd1000002, clock);
  Node c(net, "dirC", {"dirB"}, 0xd1000003, clock);
  net.connectAll();  // dirA does not exist: the dial fails
  net.run();
  EXPECT_TRUE(b.engine->ready());
  Node lonely(net, "dirD", {"dirE"}, 0xd1000004, clock);
  EXPECT_FALSE(lonely.engine->ready());
  lonely.engine->onReadyTimeout();
  EXPECT_TRUE(lonely.engine->ready());
  EXPECT_EQ(lonely.readyCalls, std::vector<bool>{true});
}

// A TCP flow that reaches TIME_WAIT or CLOSE is removed from peers instead of updated there: a copy
// without the FIN/RST the owner saw would catch a new SYN from the same client port and send it
// along the old binding. Bulks leave closed and unanswered flows out.
TEST_F(EngineTest, ClosedFlowsLeavePeersTables) {
  Node a(net, "dirA", {"dirB"}, 0xd1000001, clock);
  FlowEntry closed = flow(9100, 8);
  FlowEntry unanswered = flow(9101, 1);
  unanswered.status = 0;
  (void)a.table.apply({{FlowOp::kUpsert, closed}, {FlowOp::kUpsert, unanswered},
                       {FlowOp::kUpsert, flow(9102)}});
  Node b(net, "dirB", {"dirA"}, 0xd1000002, clock);
  net.connectAll();
  net.run();
  ASSERT_EQ(b.flows().size(), 1u);
  EXPECT_EQ(b.flows()[0].original.srcPort, 9102);
  a.local({FlowOp::kUpsert, flow(9102, 7)});  // TIME_WAIT
  net.run();
  EXPECT_TRUE(b.flows().empty());
}

// After the kernel dropped events (ENOBUFS) the engine re-dumps and sends its own flows again,
// not the copies it learned from peers.
TEST_F(EngineTest, OverrunResendsOwnFlowsOnly) {
  Node a(net, "dirA", {"dirB"}, 0xd1000001, clock);
  Node b(net, "dirB", {"dirA"}, 0xd1000002, clock);
  net.connectAll();
  net.run();
  b.local({FlowOp::kUpsert, flow(9200, 3, 0xd1000002)});
  net.run();
  ASSERT_EQ(a.flows().size(), 1u);
  (void)a.table.apply({{FlowOp::kUpsert, flow(9201)}});  // its event was lost
  const size_t sentBefore = net.messagesSent("dirA", "dirB");
  a.table.setOverrun();
  a.engine->onLocalEvents();
  net.run();
  EXPECT_EQ(a.engine->snapshot().overruns, 1u);
  EXPECT_EQ(net.messagesSent("dirA", "dirB"), sentBefore + 1);
  EXPECT_EQ(b.flows().size(), 2u);
  EXPECT_EQ(a.engine->snapshot().peers[0].sent, 1u);  // 9201 only; 9200 is dirB's
}

// Three nodes, full mesh: every node ends with every other node's flows.
TEST_F(EngineTest, ThreeNodeMesh) {
  Node a(net, "dirA", {"dirB", "dirC"}, 0xd1000001, clock);
  Node b(net, "dirB", {"dirA", "dirC"}, 0xd1000002, clock);
  Node c(net, "dirC", {"dirA", "dirB"}, 0xd1000003, clock);
  net.connectAll();
  net.run();
  a.local({FlowOp::kUpsert, flow(8000)});
  b.local({FlowOp::kUpsert, flow(8001, 3, 0xd1000002)});
  net.run();
  EXPECT_EQ(c.flows().size(), 2u);
  EXPECT_EQ(a.flows().size(), 2u);
  EXPECT_EQ(b.flows().size(), 2u);
}

}  // namespace
}  // namespace ha::sync
