#include "sync/provenance.h"

#include <gtest/gtest.h>

namespace ha::sync {
namespace {

FlowKey key(uint16_t port) {
  return FlowKey{kProtoTcp,
                 {*IpAddress::parse("203.0.113.10"), *IpAddress::parse("192.0.2.100"), port, 80}};
}

FlowEntry entry(uint16_t port) {
  FlowEntry e;
  e.l4proto = kProtoTcp;
  e.original = key(port).original;
  return e;
}

// Every combination of teacher, sender and operation gets the rule's answer (sync/README.md).
TEST(Judge, TrustRules) {
  constexpr PeerId kP = 1, kQ = 2;
  // Taught by the sender: it updates and removes.
  EXPECT_EQ(judge(kP, kP, FlowOp::kUpsert, false).write, FlowOp::kUpsert);
  EXPECT_FALSE(judge(kP, kP, FlowOp::kUpsert, false).refused);  // no quota needed for updates
  EXPECT_EQ(judge(kP, kP, FlowOp::kRemove, true).write, FlowOp::kRemove);
  // Taught by another peer: neither.
  EXPECT_EQ(judge(kQ, kP, FlowOp::kUpsert, true).refused, Rejection::kOwnedByOtherPeer);
  EXPECT_EQ(judge(kQ, kP, FlowOp::kRemove, true).refused, Rejection::kOwnedByOtherPeer);
  // Taught by nobody: create only, within the quota; never a remove.
  EXPECT_EQ(judge(std::nullopt, kP, FlowOp::kUpsert, true).write, FlowOp::kCreate);
  EXPECT_FALSE(judge(std::nullopt, kP, FlowOp::kUpsert, true).refused);
  EXPECT_EQ(judge(std::nullopt, kP, FlowOp::kUpsert, false).refused, Rejection::kQuota);
  EXPECT_EQ(judge(std::nullopt, kP, FlowOp::kRemove, true).refused, Rejection::kNotTaught);
}

// Counts per peer follow teach/forget; a key re-taught by its teacher counts once.
TEST(Provenance, CountsPerPeer) {
  Provenance p(2, 3);
  p.teach(key(1), 0);
  p.teach(key(1), 0);
  p.teach(key(2), 0);
  p.teach(key(3), 1);
  EXPECT_EQ(p.taughtBy(0), 2u);
  EXPECT_EQ(p.taughtBy(1), 1u);
  EXPECT_EQ(p.teacher(key(3)), PeerId{1});
  EXPECT_FALSE(p.teacher(key(4)));
  EXPECT_TRUE(p.hasRoom(0, 0));
  EXPECT_FALSE(p.hasRoom(0, 1));  // 2 taught + 1 pending = the quota of 3
  EXPECT_EQ(p.forget(key(1)), PeerId{0});
  EXPECT_FALSE(p.forget(key(1)));
  EXPECT_EQ(p.taughtBy(0), 1u);
  EXPECT_EQ(p.size(), 2u);
}

// retain() keeps only keys still in the table and fixes the counts.
TEST(Provenance, RetainDropsKeysGoneFromTheTable) {
  Provenance p(2, 10);
  for (uint16_t port = 1; port <= 4; ++port) p.teach(key(port), port % 2);
  EXPECT_EQ(p.retain({entry(1), entry(4), entry(9)}), 2u);
  EXPECT_EQ(p.size(), 2u);
  EXPECT_EQ(p.taughtBy(0), 1u);
  EXPECT_EQ(p.taughtBy(1), 1u);
  EXPECT_EQ(p.retain({}), 2u);
  EXPECT_EQ(p.size(), 0u);
}

}  // namespace
}  // namespace ha::sync
