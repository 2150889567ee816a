// One file with all of keepalived's line language, loaded to a Config on two routers; and a file
// with one of each error, every one reported at its line while the good lines still load.
#include <gtest/gtest.h>

#include "tests/unit/director/config/language_test_util.h"

namespace ha::director {
namespace {

using testing::dataPath;
using testing::hasError;
using testing::hasWarning;
using testing::isClean;
using testing::testScripts;

TEST(ConfigLanguage, AllFeaturesOnTwoRouters) {
  auto path = dataPath("language/all_features.conf");
  for (const char* id : {"dir1", "dir2"}) {
    auto r = loadConfigFile(path, testScripts(), id);
    ASSERT_TRUE(isClean(r)) << id;
    const auto& c = r.config;
    EXPECT_EQ(c.globals.routerId, id);
    ASSERT_EQ(c.virtualServers.size(), 2u);
    for (size_t vs = 0; vs < 2; ++vs) {
      const auto& service = c.virtualServers[vs];
      EXPECT_EQ(service.vip.str(), "192.0.2." + std::to_string(vs + 1));
      EXPECT_EQ(service.port, 8080);
      // Expanded lines carry the line of the ~SEQ that produced them.
      EXPECT_EQ(service.where, (SourceLocation{path, 31}));
      ASSERT_EQ(service.reals.size(), 3u);
      for (size_t real = 0; real < 3; ++real) {
        EXPECT_EQ(service.reals[real].address.str(),
                  "10.0." + std::to_string(vs + 1) + "." + std::to_string(real + 1));
        EXPECT_EQ(service.reals[real].weight, real + 1);
        EXPECT_EQ(service.reals[real].checkers.size(), 1u);
      }
    }
    ASSERT_EQ(c.vrrp.instances.size(), 1u);
    const auto& vi = c.vrrp.instances[0];
    bool first = std::string(id) == "dir1";
    EXPECT_EQ(vi.priority, first ? 150 : 100);
    EXPECT_EQ(vi.initialState, first ? vrrp::InitialState::kMaster : vrrp::InitialState::kBackup);
    ASSERT_TRUE(vi.unicastSource.has_value());
    EXPECT_EQ(vi.unicastSource->str(), first ? "198.51.100.1" : "198.51.100.2");
    ASSERT_EQ(vi.unicastPeers.size(), 1u);
    EXPECT_EQ(vi.unicastPeers[0].str(), first ? "198.51.100.2" : "198.51.100.1");
    ASSERT_EQ(vi.addresses.size(), 2u);
  }
}

// Every problem of the language at its file:line, with the reason; the config is refused, and
// the good lines around them are still read (so one run lists everything).
TEST(ConfigLanguage, EveryErrorAtItsLine) {
  std::string text =
      "$A=1\n"                   // 1
      "$LOOP=x $LOOP\n"          // 2
      "router_id $LOOP\n"        // 3: recursion
      "~SEQ(i, 1, 0, 3) x\n"     // 4: bad ~SEQ
      "~LST({A}, {1,2}) x\n"     // 5: bad ~LST
      "~REPEAT(i) x\n"           // 6: unknown ~
      "priority ${UNDEFINED}\n"  // 7: undefined (warning)
      "r ${_RANDOM 2 1}\n"       // 8: bad _RANDOM
      "@main\n"                  // 9: nothing after the id (warning)
      "global_defs {\n"          // 10
      "  router_id ok-$A\n"      // 11
      "}\n"                      // 12
      "$TAIL=\\\n"               // 13: unterminated
      "  more \\\n";             // 14
  auto r = loadConfigText(text, testing::kTestFile, testScripts(), "main");
  EXPECT_TRUE(hasError(r, 3, "$LOOP uses itself: $LOOP -> $LOOP; line skipped"));
  EXPECT_TRUE(hasError(r, 4, "bad ~SEQ '~SEQ(i, 1, 0, 3) x': STEP is 0 or goes away from END"));
  EXPECT_TRUE(hasError(r, 5, "bad ~LST '~LST({A}, {1,2}) x': more values than the 1 variables"));
  EXPECT_TRUE(hasError(r, 6, "'~REPEAT(i)': keepalived's repetitions are ~SEQ, ~SEQx and ~LST"));
  EXPECT_TRUE(hasWarning(r, 7, "$UNDEFINED is not defined: left as written"));
  EXPECT_TRUE(hasError(r, 8, "${_RANDOM 2 1}: MIN is greater than MAX"));
  EXPECT_TRUE(hasWarning(r, 9, "'@main' has nothing after the config id"));
  EXPECT_TRUE(hasError(r, 13, "definition of $TAIL is not terminated"));
  EXPECT_TRUE(r.hasErrors());
  EXPECT_EQ(r.config.globals.routerId, "ok-1");
}

}  // namespace
}  // namespace ha::director
