// The node's drift repair on fakes: a foreign change to our tables, reported by the nf_tables
// notification port, is undone by one full transaction after the settle time (a burst of reports
// costs one repair), and a refused repair is retried. The settle and retry delays are the
// DriftTracker's real ones (10 ms, 100 ms) on Asio's steady timer: the test waits at most 5 s.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "director/node/drift_tracker.h"
#include "tests/unit/director/node/node_harness.h"

namespace ha::director::test {
namespace {

constexpr const char* kConfig = R"(
virtual_server 192.0.2.10 80 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.11 80 {
        weight 1
    }
    real_server 198.51.100.12 80 {
        weight 1
    }
}
)";

class NodeDriftTest : public NodeHarness {
 protected:
  // Someone else's `nft delete table inet directord`.
  void deleteOurTable() {
    nft::Transaction tx;
    tx.ops.push_back(nft::DeleteTable{nft::inetTable()});
    ASSERT_TRUE(nft_->fake.commit(tx));
  }
};

// Three reports of one foreign change: one replaceAll transaction puts back exactly what start
// installed, and the forwarder status counts three drifts, one repair and the node's two commits
// (start, repair; the foreign one is not ours), each timed.
TEST_F(NodeDriftTest, ForeignChangeIsRepairedByOneTransaction) {
  started(kConfig, {.health = false, .drift = true});
  const std::string atStart = nft_->fake.dump();
  deleteOurTable();
  for (int i = 0; i < 3; ++i)
    drift_->report({"delete table inet directord by nft[4242]", 4242, "nft"});
  ASSERT_TRUE(runUntil([&] { return nft_->attempted.size() == 2; }));
  EXPECT_EQ(nft_->fake.dump(), atStart);
  // Nothing else is due: the loop stays idle well past the settle time.
  std::this_thread::sleep_for(3 * DriftTracker::kSettle);
  node_->runReady();
  EXPECT_EQ(nft_->attempted.size(), 2u);
  auto status = ask([this] { return node_->forwarderStatus(); });
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(status->watching);
  EXPECT_EQ(status->drifts, 3u);
  EXPECT_EQ(status->repairs, 1u);
  EXPECT_FALSE(status->repairPending);
  EXPECT_EQ(status->commits, 2u);
  EXPECT_EQ(status->commitFailures, 0u);
  EXPECT_EQ(status->commitLatency.count, 2u);
}

// A repair nf_tables refuses is retried (after kFirstRetry) until it succeeds; the refused commit
// is counted as a commit failure.
TEST_F(NodeDriftTest, RefusedRepairIsRetried) {
  started(kConfig, {.health = false, .drift = true});
  const std::string atStart = nft_->fake.dump();
  deleteOurTable();
  nft_->fake.failNextCommit("Device or resource busy");
  drift_->report({"delete table inet directord by nft[4242]", 4242, "nft"});
  ASSERT_TRUE(runUntil([&] { return nft_->attempted.size() == 3; }));
  EXPECT_EQ(nft_->fake.commits(), 3);  // start, the foreign delete, the retried repair
  EXPECT_EQ(nft_->fake.dump(), atStart);
  auto status = ask([this] { return node_->forwarderStatus(); });
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->repairFailures, 1u);
  EXPECT_EQ(status->repairs, 1u);
  EXPECT_EQ(status->lastRepairError, "");
  EXPECT_EQ(status->commits, 3u);  // start, the refused repair, the retried one
  EXPECT_EQ(status->commitFailures, 1u);
}

}  // namespace
}  // namespace ha::director::test
