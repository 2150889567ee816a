// Logs that scale: small batches line by line as before, large ones one summary per kind of
// change with the details at debug level.
#include "director/node/log_summary.h"

#include <gtest/gtest.h>

namespace ha::director {
namespace {

ChangeLine down(int i, const std::string& service = "TCP 192.0.2.1:80") {
  const std::string real =
      "198.51." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ":80";
  return {"down: TCP_CHECK: connection refused", service,
          "real " + real + " of " + service + " down: TCP_CHECK " + real + ": connection refused"};
}

// One real down: exactly the line logged before summaries existed; nothing at debug.
TEST(LogSummary, SingleChangeKeepsItsLine) {
  auto out = summarize({down(1)}, "real", "service");
  EXPECT_EQ(out.info, (std::vector<std::string>{down(1).line}));
  EXPECT_TRUE(out.debug.empty());
}

// 10,000 reals of one service down alike: one info line, the 10,000 details at debug.
TEST(LogSummary, TenThousandAlikeAreOneLine) {
  std::vector<ChangeLine> changes;
  changes.reserve(10000);
  for (int i = 0; i < 10000; ++i) changes.push_back(down(i));
  auto out = summarize(changes, "real", "service");
  EXPECT_EQ(out.info,
            (std::vector<std::string>{
                "10000 reals of 1 service down: TCP_CHECK: connection refused (each with -D)"}));
  ASSERT_EQ(out.debug.size(), 10000u);
  EXPECT_EQ(out.debug.front(), down(0).line);
}

// A large batch of mixed changes: one line per kind, in the order each kind first appeared,
// services counted; a kind with a single item keeps its own line.
TEST(LogSummary, KindsSummarizedSeparately) {
  std::vector<ChangeLine> changes;
  changes.reserve(11);
  for (int i = 0; i < 6; ++i)
    changes.push_back(
        {"up", "TCP 192.0.2." + std::to_string(i % 2) + ":80", "up " + std::to_string(i)});
  for (int i = 0; i < 4; ++i) changes.push_back(down(i, "TCP 192.0.2.9:80"));
  changes.push_back({"down: HTTP_GET: status 500", "TCP 192.0.2.9:80", "the one HTTP failure"});
  auto out = summarize(changes, "real", "service");
  EXPECT_EQ(out.info, (std::vector<std::string>{
                          "6 reals of 2 services up (each with -D)",
                          "4 reals of 1 service down: TCP_CHECK: connection refused (each with -D)",
                          "the one HTTP failure"}));
  EXPECT_EQ(out.debug.size(), 10u);
}

// Exactly the detail limit: still line by line.
TEST(LogSummary, AtTheLimitLineByLine) {
  std::vector<ChangeLine> changes;
  changes.reserve(kLogDetailLimit);
  for (int i = 0; i < static_cast<int>(kLogDetailLimit); ++i) changes.push_back(down(i));
  auto out = summarize(changes, "real", "service");
  EXPECT_EQ(out.info.size(), kLogDetailLimit);
  EXPECT_TRUE(out.debug.empty());
}

// The real's own address leaves the reason, so reals failing alike share a summary.
TEST(LogSummary, ReasonKindDropsTheEndpoint) {
  EXPECT_EQ(reasonKind("TCP_CHECK 198.51.100.11:80: connection refused"),
            "TCP_CHECK: connection refused");
  EXPECT_EQ(reasonKind("TCP_CHECK [fd00:1::11]:80: timed out"), "TCP_CHECK: timed out");
  EXPECT_EQ(reasonKind("no detail"), "no detail");
  EXPECT_EQ(reasonKind(""), "");
}

}  // namespace
}  // namespace ha::director
