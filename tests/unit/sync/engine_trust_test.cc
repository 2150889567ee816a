// The trust rules in the engine (sync/README.md, "Trust"): a peer creates, updates and removes
// only the copies it taught us, within its quota and under our own timeouts; a flow of this node
// is never changed by a peer. Most tests play the peer by hand (onIncoming with chosen batches),
// as a peer with a valid certificate could.
#include <gtest/gtest.h>

#include "engine_harness.h"

namespace ha::sync {
namespace {

using namespace engine_test;  // NOLINT(google-build-using-namespace)

constexpr PeerId kB = 0;  // dirA's peers, in config order
constexpr PeerId kC = 1;

FlowUpdate upsert(FlowEntry e) { return {FlowOp::kUpsert, std::move(e)}; }
FlowUpdate remove(FlowEntry e) { return {FlowOp::kRemove, std::move(e)}; }

FlowEntry withTimeout(FlowEntry e, uint32_t seconds) {
  e.timeoutSeconds = seconds;
  return e;
}

uint64_t refused(const PeerSnapshot& p, Rejection why) {
  return p.rejectedBy[static_cast<size_t>(why)];
}

class TrustTest : public EngineTest {
 protected:
  static void quotaOfThree(SyncConfig& c) { c.peerQuota = 3; }
  // dirA with peers dirB and dirC, neither of which exists: batches come from the test.
  Node a{net, "dirA", {"dirB", "dirC"}, 0xd1000001, clock, nullptr, quotaOfThree};
  uint64_t seq = 1;

  void from(PeerId peer, std::vector<FlowUpdate> updates) {
    a.engine->onIncoming(peer, FlowBatch{seq++, false, std::move(updates)});
  }
  PeerSnapshot peer(PeerId id) { return a.engine->snapshot().peers.at(id); }
  std::optional<FlowEntry> entry(uint16_t clientPort) {
    for (const FlowEntry& e : a.flows()) {
      if (e.original.srcPort == clientPort) return e;
    }
    return std::nullopt;
  }
};

// A peer's upsert of one of our own flows (7 days asked) and its remove are refused and counted;
// our entry keeps its timeout and stays; the kernel write does not happen.
TEST_F(TrustTest, PeerCannotChangeOrDeleteOurOwnFlow) {
  a.local(upsert(withTimeout(flow(1000), 300)));
  from(kB, {upsert(withTimeout(flow(1000), 604798))});
  from(kB, {remove(flow(1000))});
  ASSERT_TRUE(entry(1000));
  EXPECT_EQ(entry(1000)->timeoutSeconds, 300u);
  const PeerSnapshot b = peer(kB);
  EXPECT_EQ(b.received, 2u);
  EXPECT_EQ(b.applied, 0u);
  EXPECT_EQ(b.rejected, 2u);
  EXPECT_EQ(refused(b, Rejection::kOwnedLocally), 1u);
  EXPECT_EQ(refused(b, Rejection::kNotTaught), 1u);
  EXPECT_EQ(b.taught, 0u);
  EXPECT_EQ(b.clamped, 0u);  // nothing was written with a lowered timeout
}

// A remove of a flow nobody taught us that we do not hold either (a peer's short flow whose create
// and remove were coalesced before they were sent) changes nothing and is no refusal; of a flow we
// hold, it is refused (not-taught). The kernel is only read, never written.
TEST_F(TrustTest, RemoveOfAFlowWeDoNotHoldIsNoRefusal) {
  a.local(upsert(flow(1200)));
  const size_t applies = a.table.applyCalls();
  from(kB, {remove(flow(1201)), remove(flow(1200))});
  EXPECT_EQ(a.table.applyCalls(), applies);
  EXPECT_EQ(peer(kB).received, 2u);
  EXPECT_EQ(peer(kB).rejected, 1u);
  EXPECT_EQ(refused(peer(kB), Rejection::kNotTaught), 1u);
  EXPECT_TRUE(entry(1200));
}

// Only copies the kernel holds count against the quota: a batch with more of our own flows than
// the quota is refused as owned-locally (not quota), and a new flow after them still gets in.
TEST_F(TrustTest, OwnFlowsDoNotUseUpTheQuota) {
  std::vector<FlowUpdate> batch;
  for (uint16_t port = 1100; port < 1105; ++port) {
    a.local(upsert(flow(port)));
    batch.push_back(upsert(withTimeout(flow(port), 604798)));
  }
  batch.push_back(upsert(flow(1105)));
  from(kB, batch);
  EXPECT_EQ(refused(peer(kB), Rejection::kOwnedLocally), 5u);
  EXPECT_EQ(refused(peer(kB), Rejection::kQuota), 0u);
  EXPECT_EQ(peer(kB).taught, 1u);
  EXPECT_TRUE(entry(1105));
}

// The peer that taught us a copy updates and removes it; another peer can do neither.
TEST_F(TrustTest, OnlyTheTeacherChangesItsCopy) {
  from(kB, {upsert(withTimeout(flow(2000), 100))});
  ASSERT_TRUE(entry(2000));
  EXPECT_EQ(peer(kB).taught, 1u);
  from(kC, {upsert(withTimeout(flow(2000), 4000))});
  from(kC, {remove(flow(2000))});
  EXPECT_EQ(entry(2000)->timeoutSeconds, 100u);
  EXPECT_EQ(refused(peer(kC), Rejection::kOwnedByOtherPeer), 2u);
  from(kB, {upsert(withTimeout(flow(2000), 200))});
  EXPECT_EQ(entry(2000)->timeoutSeconds, 200u);
  from(kB, {remove(flow(2000))});
  EXPECT_FALSE(entry(2000));
  EXPECT_EQ(peer(kB).applied, 3u);
  EXPECT_EQ(peer(kB).taught, 0u);
  // Gone, the key is nobody's: C may now teach it.
  from(kC, {upsert(flow(2000))});
  EXPECT_EQ(peer(kC).taught, 1u);
}

// Past its quota a peer's new flows are refused (counted `quota`) and never reach our table; its
// copies still update; a remove makes room again (from the next batch on). Quotas are per peer.
TEST_F(TrustTest, QuotaPerPeer) {
  from(kB, {upsert(flow(3000)), upsert(flow(3001)), upsert(flow(3002)), upsert(flow(3003)),
            upsert(flow(3004))});
  EXPECT_EQ(peer(kB).taught, 3u);
  EXPECT_EQ(refused(peer(kB), Rejection::kQuota), 2u);
  EXPECT_FALSE(entry(3003));
  EXPECT_FALSE(entry(3004));
  from(kB, {upsert(withTimeout(flow(3000), 60))});
  EXPECT_EQ(entry(3000)->timeoutSeconds, 60u);
  from(kB, {remove(flow(3001))});
  from(kB, {upsert(flow(3003)), upsert(flow(3004))});
  EXPECT_TRUE(entry(3003));
  EXPECT_FALSE(entry(3004));
  EXPECT_EQ(refused(peer(kB), Rejection::kQuota), 3u);
  from(kC, {upsert(flow(3005))});  // C has a quota of its own
  EXPECT_EQ(peer(kC).taught, 1u);
  EXPECT_EQ(a.flows().size(), 4u);
}

// Remaining timeouts are clamped to this node's own per-state timeouts (TCP by state, UDP
// unreplied or stream), and counted; shorter ones pass unchanged.
TEST_F(TrustTest, TimeoutsClampedToOurOwn) {
  TimeoutLimits limits = kernelDefaultTimeouts();
  limits.tcp[3] = 1000;  // ESTABLISHED
  limits.tcp[4] = 20;    // FIN_WAIT
  a.table.setTimeoutLimits(limits);
  a.engine->setCatalog(catalogWithMark(0xd1000001));  // re-reads the limits
  from(kB, {upsert(withTimeout(flow(4000, 3), 604800)), upsert(withTimeout(flow(4001, 4), 600)),
            upsert(withTimeout(flow(4002, 3), 999))});
  EXPECT_EQ(entry(4000)->timeoutSeconds, 1000u);
  EXPECT_EQ(entry(4001)->timeoutSeconds, 20u);
  EXPECT_EQ(entry(4002)->timeoutSeconds, 999u);
  EXPECT_EQ(peer(kB).clamped, 2u);
  // An update of its copy is clamped too.
  from(kB, {upsert(withTimeout(flow(4002, 3), 5000))});
  EXPECT_EQ(entry(4002)->timeoutSeconds, 1000u);
  EXPECT_EQ(peer(kB).clamped, 3u);
}

// Only what the kernel accepted is recorded as taught: a create the kernel refuses leaves no
// provenance (when local packets then create the flow here, it is ours: the peer's remove is
// refused), and its quota is not used up.
TEST_F(TrustTest, ProvenanceOnlyForKernelAcceptedEntries) {
  a.table.failNext(2, "ENOMEM");
  from(kB, {upsert(flow(5000)), upsert(flow(5001)), upsert(flow(5002))});
  EXPECT_EQ(peer(kB).taught, 1u);
  EXPECT_EQ(peer(kB).rejected, 2u);
  EXPECT_EQ(a.engine->snapshot().kernelFailures, 2u);
  a.local(upsert(flow(5000)));
  from(kB, {remove(flow(5000))});
  EXPECT_EQ(refused(peer(kB), Rejection::kNotTaught), 1u);
  EXPECT_TRUE(entry(5000));
  // A create whose reply tuple one of our own flows holds is ours to keep: nothing recorded.
  FlowEntry clash = flow(5003);
  clash.reply = flow(5004).reply;
  a.local(upsert(flow(5004)));
  from(kB, {upsert(clash)});
  EXPECT_EQ(refused(peer(kB), Rejection::kOwnedLocally), 1u);
  EXPECT_EQ(peer(kB).taught, 1u);
}

// A flow twice in one batch: the second update is judged on the first one's outcome (a copy
// created then updated and removed; our own flow refused both times, never updated).
TEST_F(TrustTest, SameFlowTwiceInOneBatch) {
  a.local(upsert(withTimeout(flow(6000), 300)));
  from(kB, {upsert(withTimeout(flow(6001), 10)), upsert(withTimeout(flow(6001), 20)),
            upsert(withTimeout(flow(6000), 999)), upsert(withTimeout(flow(6000), 999))});
  EXPECT_EQ(entry(6001)->timeoutSeconds, 20u);
  EXPECT_EQ(entry(6000)->timeoutSeconds, 300u);
  EXPECT_EQ(refused(peer(kB), Rejection::kOwnedLocally), 2u);
  from(kB, {upsert(flow(6002)), remove(flow(6002))});
  EXPECT_FALSE(entry(6002));
  EXPECT_EQ(peer(kB).taught, 1u);
  EXPECT_EQ(peer(kB).applied, 4u);
}

// Local packets on a taught copy make it ours: the teacher's later updates are refused, and our
// event goes out to peers as our own flow.
TEST_F(TrustTest, LocalTrafficTakesACopyOver) {
  from(kB, {upsert(flow(7000))});
  EXPECT_EQ(peer(kB).taught, 1u);
  a.local(upsert(withTimeout(flow(7000), 432000)));
  EXPECT_EQ(peer(kB).taught, 0u);
  from(kB, {upsert(withTimeout(flow(7000), 5))});
  EXPECT_EQ(entry(7000)->timeoutSeconds, 432000u);
  EXPECT_EQ(refused(peer(kB), Rejection::kOwnedLocally), 1u);
}

// Events queued in the kernel are read before a peer's batch is judged: a taught copy that
// expired and was replaced by a flow of our own is not the peer's any more.
TEST_F(TrustTest, QueuedEventsAreReadBeforeABatch) {
  from(kB, {upsert(flow(7100))});
  a.table.erase(flow(7100).key());
  a.table.pushEvent(remove(flow(7100)));
  a.table.set(withTimeout(flow(7100), 300));  // a new flow, same tuple, from local packets
  a.table.pushEvent(upsert(withTimeout(flow(7100), 300)));
  from(kB, {upsert(withTimeout(flow(7100), 9999))});
  EXPECT_EQ(entry(7100)->timeoutSeconds, 300u);
  EXPECT_EQ(refused(peer(kB), Rejection::kOwnedLocally), 1u);
}

// After lost events (overrun) the re-dump prunes taught keys whose copies are gone, so the record
// cannot keep dead keys (nor use up a quota with them).
TEST_F(TrustTest, OverrunPrunesProvenance) {
  from(kB, {upsert(flow(8000)), upsert(flow(8001)), upsert(flow(8002))});
  a.table.erase(flow(8000).key());  // expired; the destroy events were lost
  a.table.erase(flow(8001).key());
  a.table.setOverrun();
  a.engine->onLocalEvents();
  EXPECT_EQ(peer(kB).taught, 1u);
  EXPECT_EQ(a.engine->snapshot().provenanceReconciled, 2u);
  from(kB, {upsert(flow(8003)), upsert(flow(8004))});
  EXPECT_EQ(peer(kB).taught, 3u);
}

// A reconfigure (a new engine on the same kernel) carries who taught us what, by peer name: peers
// still configured keep their copies (peer order may change), a dropped peer's copies become
// ours, and copies gone from the table meanwhile are forgotten.
TEST_F(EngineTest, ReconfigureCarriesProvenance) {
  FakeConntrackTable kernel;
  Engine::TaughtCopies carried;
  {
    Node a(net, "dirA", {"dirB", "dirC"}, 0xd1000001, clock, &kernel);
    a.engine->onIncoming(kB, FlowBatch{1, false, {upsert(flow(9100)), upsert(flow(9101))}});
    a.engine->onIncoming(kC, FlowBatch{1, false, {upsert(flow(9102))}});
    carried = a.engine->taughtCopies();
    net.removeNode("dirA");
  }
  ASSERT_EQ(carried.size(), 3u);
  kernel.erase(flow(9101).key());  // expired while no engine ran
  Node again(net, "dirA", {"dirD", "dirB"}, 0xd1000001, clock, &kernel);
  again.engine->adoptTaughtCopies(carried);
  const auto peers = again.engine->snapshot().peers;
  EXPECT_EQ(peers[1].taught, 1u);  // dirB: 9100
  EXPECT_EQ(peers[0].taught, 0u);
  // dirB still updates its copy; dirC is no peer any more, so 9102 is ours now.
  again.engine->onIncoming(1, FlowBatch{2, false, {upsert(withTimeout(flow(9100), 77))}});
  EXPECT_EQ(again.engine->snapshot().peers[1].applied, 1u);
}

// Bulks carry only our own flows: a copy dirB taught dirA does not go to dirC in dirA's bulk
// (dirC would take it as dirA's and refuse dirB's own updates of it). Three nodes, full mesh;
// dirB's updates of its flow then reach dirC without a single refusal.
TEST_F(EngineTest, BulkCarriesOnlyOwnFlows) {
  Node a(net, "dirA", {"dirB", "dirC"}, 0xd1000001, clock);
  Node b(net, "dirB", {"dirA", "dirC"}, 0xd1000002, clock);
  net.connectAll();
  net.run();
  a.local(upsert(flow(9000)));
  b.local(upsert(flow(9001, 3, 0xd1000002)));
  net.run();
  ASSERT_EQ(a.flows().size(), 2u);
  Node c(net, "dirC", {"dirA", "dirB"}, 0xd1000003, clock);
  net.connectAll();
  net.run();
  EXPECT_EQ(c.flows().size(), 2u);
  const auto fromA = c.engine->snapshot().peers[0];
  EXPECT_EQ(fromA.received, 1u);  // 9000 only
  EXPECT_EQ(fromA.taught, 1u);
  b.local(upsert(withTimeout(flow(9001, 4, 0xd1000002), 50)));  // FIN_WAIT
  net.run();
  const auto cPeers = c.engine->snapshot().peers;
  EXPECT_EQ(cPeers[0].rejected + cPeers[1].rejected, 0u);
  EXPECT_EQ(cPeers[1].taught, 1u);
  for (const FlowEntry& e : c.flows()) {
    if (e.original.srcPort == 9001) {
      EXPECT_EQ(e.tcpState, 4);
    }
  }
}

}  // namespace
}  // namespace ha::sync
