#include "sync/outbox.h"

#include <gtest/gtest.h>

#include "tests/fakes/manual_clock.h"

namespace ha::sync {
namespace {

using std::chrono::milliseconds;

FlowEntry flow(uint16_t clientPort, uint8_t state = 3) {
  FlowEntry e;
  e.l4proto = kProtoTcp;
  e.original = {*IpAddress::parse("203.0.113.10"), *IpAddress::parse("192.0.2.100"), clientPort, 80};
  e.reply = {*IpAddress::parse("198.51.100.11"), *IpAddress::parse("198.51.100.200"), 80, clientPort};
  e.status = kIpsSeenReply | kIpsAssured;
  e.tcpState = state;
  e.timeoutSeconds = 300;
  return e;
}

FlowUpdate upsert(uint16_t port, uint8_t state = 3) { return {FlowOp::kUpsert, flow(port, state)}; }

const TimePoint kT0 = test::ManualClock::kStart;

// Several updates of one flow while it waits become one: the newest state, counted as coalesced.
TEST(Outbox, CoalescesPerFlowNewestWins) {
  Outbox box({});
  box.beginSession();
  box.push(upsert(1000, 1), kT0);
  box.push(upsert(1001), kT0);
  box.push(upsert(1000, 3), kT0 + milliseconds(1));
  box.push(FlowUpdate{FlowOp::kRemove, flow(1001)}, kT0 + milliseconds(2));
  EXPECT_EQ(box.stats().coalesced, 2u);
  auto m = box.next();
  ASSERT_TRUE(m);
  const auto& batch = std::get<FlowBatch>(*m);
  ASSERT_EQ(batch.updates.size(), 2u);
  EXPECT_EQ(batch.updates[0].entry.tcpState, 3);  // first queued keeps its place
  EXPECT_EQ(batch.updates[1].op, FlowOp::kRemove);
  EXPECT_FALSE(batch.bulk);
}

// A bulk goes out as BulkBegin, batches of at most batchFlows, BulkEnd with the count, then the
// incremental updates queued meanwhile; sequence numbers rise by one per message.
TEST(Outbox, BulkThenIncremental) {
  Outbox box({.queueLimit = 100, .batchFlows = 2, .window = 100});
  box.beginSession();
  box.beginBulk({flow(1), flow(2), flow(3)}, kT0);
  box.push(upsert(9), kT0);
  std::vector<PeerMessage> out;
  while (auto m = box.next()) out.push_back(*m);
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(std::get<BulkBegin>(out[0]).seq, 1u);
  EXPECT_EQ(std::get<FlowBatch>(out[1]).updates.size(), 2u);
  EXPECT_TRUE(std::get<FlowBatch>(out[1]).bulk);
  EXPECT_EQ(std::get<FlowBatch>(out[2]).updates.size(), 1u);
  EXPECT_EQ(std::get<BulkEnd>(out[3]).entries, 3u);
  EXPECT_EQ(std::get<BulkEnd>(out[3]).seq, 4u);
  EXPECT_FALSE(std::get<FlowBatch>(out[4]).bulk);
  EXPECT_EQ(std::get<FlowBatch>(out[4]).seq, 5u);
  EXPECT_TRUE(box.bulkInProgress());
  box.onAck(Ack{5, 0}, kT0 + milliseconds(40));
  EXPECT_FALSE(box.bulkInProgress());
  EXPECT_DOUBLE_EQ(*box.stats().lastBulkMs, 40.0);
  EXPECT_EQ(box.stats().acked, 4u);
}

// No more than `window` messages are written before an ack; an ack opens the window again.
TEST(Outbox, WindowPacesByAcks) {
  Outbox box({.queueLimit = 100, .batchFlows = 1, .window = 2});
  box.beginSession();
  for (uint16_t p = 1; p <= 5; ++p) box.push(upsert(p), kT0);
  ASSERT_TRUE(box.next());
  ASSERT_TRUE(box.next());
  EXPECT_FALSE(box.next());
  EXPECT_EQ(box.inFlightFlows(), 2u);
  box.onAck(Ack{1, 0}, kT0 + milliseconds(3));
  EXPECT_TRUE(box.next());
  EXPECT_FALSE(box.next());
  EXPECT_DOUBLE_EQ(*box.stats().lagLastMs, 3.0);
  EXPECT_EQ(box.queueDepth(), 2u);
}

// Past the bound, new flows are dropped and counted and a resync is asked for; updates of flows
// already queued still coalesce; the next bulk clears the flag.
TEST(Outbox, BoundDropsAndAsksForResync) {
  Outbox box({.queueLimit = 2, .batchFlows = 10, .window = 1});
  box.beginSession();
  box.push(upsert(1), kT0);
  box.push(upsert(2), kT0);
  box.push(upsert(3), kT0);
  box.push(upsert(1, 5), kT0);
  EXPECT_EQ(box.stats().dropped, 1u);
  EXPECT_EQ(box.stats().coalesced, 1u);
  EXPECT_TRUE(box.needsResync());
  box.beginBulk({flow(1), flow(2), flow(3)}, kT0);
  EXPECT_FALSE(box.needsResync());
  EXPECT_EQ(box.queueDepth(), 3u);  // the snapshot superseded the queued updates
}

// Outside a session nothing is queued (the bulk on the next connect carries it); a session end
// forgets what was in flight.
TEST(Outbox, NothingOutsideASession) {
  Outbox box({});
  box.push(upsert(1), kT0);
  EXPECT_EQ(box.queueDepth(), 0u);
  EXPECT_FALSE(box.next());
  box.beginSession();
  box.push(upsert(1), kT0);
  ASSERT_TRUE(box.next());
  box.endSession();
  EXPECT_EQ(box.inFlightFlows(), 0u);
}

// Percentiles over lag samples.
TEST(Outbox, Percentile) {
  EXPECT_FALSE(percentile({}, 50));
  std::vector<double> s;
  for (int i = 1; i <= 100; ++i) s.push_back(i);
  EXPECT_DOUBLE_EQ(*percentile(s, 50), 51.0);
  EXPECT_DOUBLE_EQ(*percentile(s, 99), 99.0);
}

}  // namespace
}  // namespace ha::sync
