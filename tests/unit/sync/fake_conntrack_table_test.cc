#include "tests/fakes/fake_conntrack_table.h"

#include <gtest/gtest.h>
#include <poll.h>

namespace ha::sync {
namespace {

FlowEntry flow(uint16_t clientPort, uint16_t localPort, uint8_t state = 3) {
  FlowEntry e;
  e.l4proto = kProtoTcp;
  e.original = {*IpAddress::parse("203.0.113.10"), *IpAddress::parse("192.0.2.100"), clientPort, 80};
  e.reply = {*IpAddress::parse("198.51.100.11"), *IpAddress::parse("198.51.100.200"), 80, localPort};
  e.status = kIpsSeenReply | kIpsAssured;
  e.tcpState = state;
  e.timeoutSeconds = 300;
  e.mark = kMarkTag | 1;
  return e;
}

FlowUpdate upsert(const FlowEntry& e) { return {FlowOp::kUpsert, e}; }
FlowUpdate remove(const FlowEntry& e) { return {FlowOp::kRemove, e}; }

bool readable(int fd) {
  pollfd pfd{fd, POLLIN, 0};
  return poll(&pfd, 1, 0) == 1;
}

// The same batch applied twice leaves the same table: creates first, then updates that change nothing.
TEST(FakeConntrackTable, SameBatchTwiceSameTable) {
  FakeConntrackTable table;
  const std::vector<FlowUpdate> batch{upsert(flow(40000, 5000)), upsert(flow(40001, 5001)), upsert(flow(40002, 5002))};
  ApplyReport first = table.apply(batch);
  EXPECT_EQ(first.created, 3u);
  EXPECT_EQ(first.failed, 0u);
  const auto once = table.entries();
  ApplyReport second = table.apply(batch);
  EXPECT_EQ(second.created, 0u);
  EXPECT_EQ(second.updated, 3u);
  EXPECT_EQ(table.entries(), once);
}

// An update of an existing flow refreshes state, status, timeout and mark but never its tuples.
TEST(FakeConntrackTable, UpdateKeepsTuples) {
  FakeConntrackTable table;
  ASSERT_EQ(table.apply({upsert(flow(40000, 5000, 3))}).created, 1u);
  FlowEntry changed = flow(40000, 6000, 7);  // same key, another reply tuple, TIME_WAIT
  changed.timeoutSeconds = 120;
  changed.mark = kMarkTag | 2;
  ASSERT_EQ(table.apply({upsert(changed)}).updated, 1u);
  ASSERT_EQ(table.entries().size(), 1u);
  const FlowEntry got = table.entries()[0];
  EXPECT_EQ(got.reply, flow(40000, 5000).reply);
  EXPECT_EQ(got.tcpState, 7);
  EXPECT_EQ(got.timeoutSeconds, 120u);
  EXPECT_EQ(got.mark, kMarkTag | 2);
}

// Status bits are only ever set (the kernel refuses to clear them); state 0 means "not reported".
TEST(FakeConntrackTable, UpdateNeverClearsStatusNorState) {
  FakeConntrackTable table;
  table.apply({upsert(flow(40000, 5000, 3))});
  FlowEntry weaker = flow(40000, 5000, 0);
  weaker.status = 0;
  table.apply({upsert(weaker)});
  EXPECT_EQ(table.entries()[0].status, kSyncedStatusBits);
  EXPECT_EQ(table.entries()[0].tcpState, 3);
}

// A remove of an absent flow counts as missing, not failed; a present one as removed.
TEST(FakeConntrackTable, RemoveMissingIsCounted) {
  FakeConntrackTable table;
  table.apply({upsert(flow(40000, 5000))});
  ApplyReport r = table.apply({remove(flow(40000, 5000)), remove(flow(40001, 5001))});
  EXPECT_EQ(r.removed, 1u);
  EXPECT_EQ(r.missing, 1u);
  EXPECT_EQ(r.failed, 0u);
  EXPECT_TRUE(table.entries().empty());
}

// A create whose reply tuple belongs to another flow fails, as the kernel's EEXIST on the reply hash.
TEST(FakeConntrackTable, ReplyTupleCollisionFails) {
  FakeConntrackTable table;
  table.apply({upsert(flow(40000, 5000))});
  ApplyReport r = table.apply({upsert(flow(40001, 5000))});
  EXPECT_EQ(r.failed, 1u);
  EXPECT_NE(r.firstError.find("reply tuple"), std::string::npos);
  EXPECT_EQ(table.entries().size(), 1u);
}

// A kCreate never changes an existing entry, nor one holding its reply tuple: kExists, in order
// with the other outcomes (as NLM_F_EXCL's EEXIST with no update after it).
TEST(FakeConntrackTable, CreateOnlyLeavesExistingEntriesAlone) {
  FakeConntrackTable table;
  table.apply({upsert(flow(40000, 5000))});
  FlowEntry longer = flow(40000, 5000, 4);
  longer.timeoutSeconds = 600000;
  FlowEntry clash = flow(40002, 5000);  // 40000's reply tuple
  ApplyReport r = table.apply({{FlowOp::kCreate, longer}, {FlowOp::kCreate, flow(40001, 5001)},
                               {FlowOp::kCreate, clash}, remove(flow(40003, 5003))});
  EXPECT_EQ(r.outcomes, (std::vector<ApplyOutcome>{ApplyOutcome::kExists, ApplyOutcome::kCreated,
                                                   ApplyOutcome::kExists, ApplyOutcome::kMissing}));
  EXPECT_EQ(r.exists, 2u);
  EXPECT_EQ(r.created, 1u);
  EXPECT_EQ(r.failed, 0u);
  ASSERT_EQ(table.entries().size(), 2u);
  EXPECT_EQ(table.entries()[0].timeoutSeconds, 300u);
  EXPECT_EQ(table.entries()[0].tcpState, 3);
}

// present() answers by original tuple and changes nothing.
TEST(FakeConntrackTable, PresentIsARead) {
  FakeConntrackTable table;
  table.apply({upsert(flow(40000, 5000))});
  EXPECT_EQ(table.present({flow(40000, 9999), flow(40001, 5000)}), (std::vector<bool>{true, false}));
  EXPECT_EQ(table.entries().size(), 1u);
}

// failNext(n) fails exactly the next n updates, with the message and the entry in firstError.
TEST(FakeConntrackTable, FailNextInjectsErrors) {
  FakeConntrackTable table;
  table.failNext(1, "Operation not permitted");
  ApplyReport r = table.apply({upsert(flow(40000, 5000)), upsert(flow(40001, 5001))});
  EXPECT_EQ(r.failed, 1u);
  EXPECT_EQ(r.created, 1u);
  EXPECT_NE(r.firstError.find("203.0.113.10:40000"), std::string::npos);
  EXPECT_NE(r.firstError.find("Operation not permitted"), std::string::npos);
}

// Injected events make the eventfd readable and come out once, in order; apply() raises none.
TEST(FakeConntrackTable, EventsAreInjectedAndDrained) {
  FakeConntrackTable table;
  ASSERT_GE(table.eventFd(), 0);
  table.apply({upsert(flow(40000, 5000))});
  EXPECT_EQ(table.pending(), 0u);
  EXPECT_FALSE(readable(table.eventFd()));
  table.pushEvent(upsert(flow(40001, 5001)));
  table.pushEvent(remove(flow(40001, 5001)));
  EXPECT_TRUE(readable(table.eventFd()));
  std::vector<FlowUpdate> out;
  auto read = table.readEvents(out);
  ASSERT_TRUE(read.ok());
  EXPECT_FALSE(read->overrun);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].op, FlowOp::kUpsert);
  EXPECT_EQ(out[1].op, FlowOp::kRemove);
  EXPECT_FALSE(readable(table.eventFd()));
  EXPECT_EQ(table.pending(), 0u);
}

// setOverrun() is reported once by the next read.
TEST(FakeConntrackTable, OverrunReportedOnce) {
  FakeConntrackTable table;
  table.setOverrun();
  std::vector<FlowUpdate> out;
  EXPECT_TRUE(table.readEvents(out)->overrun);
  EXPECT_FALSE(table.readEvents(out)->overrun);
}

// failDump makes the next dump an error; the one after succeeds.
TEST(FakeConntrackTable, FailDumpOnce) {
  FakeConntrackTable table;
  table.failDump("conntrack: dump failed: Permission denied");
  EXPECT_FALSE(table.dump().ok());
  EXPECT_TRUE(table.dump().ok());
}

}  // namespace
}  // namespace ha::sync
