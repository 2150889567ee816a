// TimedNftWriter: every commit is counted and timed, refused ones too, and reaches the wrapped
// writer unchanged.
#include "director/nft/timed_nft_writer.h"

#include <gtest/gtest.h>

#include "director/nft/render.h"
#include "tests/fakes/fake_nft_writer.h"

namespace ha::director::nft {
namespace {

using namespace std::chrono_literals;

// Each reading is 3 ms after the previous one: a commit (two readings) "takes" 3 ms.
class SteppingClock final : public TimeSource {
 public:
  TimePoint now() const override { return at_ += 3ms; }

 private:
  mutable TimePoint at_{};
};

Transaction addTable() {
  Transaction tx;
  tx.ops.push_back(AddTable{inetTable()});
  return tx;
}

// Two commits, the second refused: both counted and timed, one failure, the fake saw both.
TEST(TimedNftWriter, CountsAndTimesEveryCommit) {
  auto fake = std::make_unique<FakeNftWriter>();
  FakeNftWriter& inner = *fake;
  SteppingClock clock;
  TimedNftWriter writer(std::move(fake), clock);
  ASSERT_TRUE(writer.commit(addTable()));
  inner.failNextCommit("Device or resource busy");
  EXPECT_FALSE(writer.commit(addTable()));
  EXPECT_EQ(inner.commits(), 1);  // the refused one changed nothing in the fake
  EXPECT_EQ(writer.stats().commits, 2U);
  EXPECT_EQ(writer.stats().failures, 1U);
  EXPECT_EQ(writer.stats().latency.count, 2U);
  EXPECT_EQ(writer.stats().latency.counts[5], 2U);  // 3 ms: (2.5 ms, 5 ms]
  EXPECT_NEAR(writer.stats().latency.sumSeconds, 0.006, 1e-9);
}

}  // namespace
}  // namespace ha::director::nft
