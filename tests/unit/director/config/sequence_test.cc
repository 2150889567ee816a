// keepalived's ~SEQ / ~SEQx / ~LST lines: the rest of the line once per value, the errors, and
// the limits that keep a short file from growing into a huge one.
#include <gtest/gtest.h>

#include "tests/unit/director/config/language_test_util.h"

namespace ha::director {
namespace {

using testing::hasError;
using testing::isClean;
using testing::parseWithId;
using testing::statements;

using Lines = std::vector<std::string>;

TEST(ConfigSequence, SeqRepeatsTheRestOfTheLine) {
  EXPECT_EQ(statements("~SEQ(SUBNET, 0, 3) ip_address 10.0.${SUBNET}.1\n"),
            (Lines{"ip_address 10.0.0.1", "ip_address 10.0.1.1", "ip_address 10.0.2.1",
                   "ip_address 10.0.3.1"}));
}

// keepalived add_seq's short forms and directions.
TEST(ConfigSequence, ShortFormsAndSteps) {
  EXPECT_EQ(statements("~SEQ(i, 3) v$i\n"), (Lines{"v1", "v2", "v3"}));
  EXPECT_EQ(statements("~SEQ(i, 0) v$i\n"), (Lines{"v1", "v0"}));
  EXPECT_EQ(statements("~SEQ(i, -2) v$i\n"), (Lines{"v-1", "v-2"}));
  EXPECT_EQ(statements("~SEQ(i, 5, 3) v$i\n"), (Lines{"v5", "v4", "v3"}));
  EXPECT_EQ(statements("~SEQ(i, 1, 2, 7) v$i\n"), (Lines{"v1", "v3", "v5", "v7"}));
  EXPECT_EQ(statements("~SEQ(i, 1, 5, 7) v$i\n"), (Lines{"v1", "v6"}));
  EXPECT_EQ(statements("~SEQ( i ,4,4) v$i\n"), (Lines{"v4"}));
}

// ~SEQx prints lowercase hex; numbers are read as strtol(3) reads them (0x.., octal 0..).
TEST(ConfigSequence, HexAndNumberBases) {
  Lines hex = {"ip fe80::20:90:1", "ip fe80::20:a0:1", "ip fe80::20:b0:1", "ip fe80::20:c0:1"};
  EXPECT_EQ(statements("~SEQx(SUBNET, 144, 16, 192) ip fe80::20:${SUBNET}:1\n"), hex);
  EXPECT_EQ(statements("~SEQx(SUBNET, 0x90, 0x10, 0xc0) ip fe80::20:${SUBNET}:1\n"), hex);
  EXPECT_EQ(statements("~SEQ(i, 010, 011) v$i\n"), (Lines{"v8", "v9"}));
}

// Several on one line nest, the last one fastest (keepalived.conf(5)'s example), inside a block.
TEST(ConfigSequence, NestedSequencesInABlock) {
  auto p = parseWithId(
      "virtual_ipaddress {\n"
      "    ~SEQx(AD2, 0x90, 0x10, 0xc0) ~SEQx(AD1, 0x12, -1, 0x0c) fe81::10:${AD2}:${AD1}\n"
      "}\n",
      "main");
  EXPECT_TRUE(isClean(p.result));
  ASSERT_EQ(p.tree.roots.size(), 1u);
  const auto& addrs = p.tree.roots[0].children;
  ASSERT_EQ(addrs.size(), 28u);
  EXPECT_EQ(addrs[0].keyword, "fe81::10:90:12");
  EXPECT_EQ(addrs[1].keyword, "fe81::10:90:11");
  EXPECT_EQ(addrs[6].keyword, "fe81::10:90:c");
  EXPECT_EQ(addrs[7].keyword, "fe81::10:a0:12");
  EXPECT_EQ(addrs[27].keyword, "fe81::10:c0:c");
  EXPECT_EQ(addrs[27].where.line, 2);
}

// ~SEQ's numbers may be definitions; its text may use a multi-line definition.
TEST(ConfigSequence, DefinitionsInSequences) {
  EXPECT_EQ(statements("$N=3\n$FIRST=2\n~SEQ(i, $FIRST, ${N}) v$i\n"), (Lines{"v2", "v3"}));
  std::string text =
      "$VI= \\\n"
      "vrrp_instance VI_${ID} { \\\n"
      "    virtual_router_id ${ID} \\\n"
      "}\n"
      "~SEQ(ID, 1, 3) $VI\n"
      "after\n";
  EXPECT_EQ(statements(text), (Lines{"vrrp_instance VI_1 { virtual_router_id 1 }",
                                     "vrrp_instance VI_2 { virtual_router_id 2 }",
                                     "vrrp_instance VI_3 { virtual_router_id 3 }", "after"}));
  // A ~SEQ held in a definition (keepalived stops substituting at a value starting with `~`).
  EXPECT_EQ(statements("$EACH=~SEQ(k, 1, 2)\n$EACH x$k\n"), (Lines{"x1", "x2"}));
}

TEST(ConfigSequence, Lists) {
  EXPECT_EQ(statements("~LST(C, a, b) m_$C\n"), (Lines{"m_a", "m_b"}));
  EXPECT_EQ(statements("~LST({IP, IP1}, {10,1},{20,4},{5,6},{12,8}) 192.168.${IP}.${IP1}\n"),
            (Lines{"192.168.10.1", "192.168.20.4", "192.168.5.6", "192.168.12.8"}));
  // Missing values are empty.
  EXPECT_EQ(statements("~LST({A,B},{1,2},{3}) l_${A}_${B}\n"), (Lines{"l_1_2", "l_3_"}));
  // Lists and sequences combine (keepalived.conf(5)).
  EXPECT_EQ(
      statements("~LST({IP, IP1}, {10,1},{20,4}) ~SEQ(IP2,168,2,172) 192.${IP2}.${IP}.${IP1}\n"),
      (Lines{"192.168.10.1", "192.170.10.1", "192.172.10.1", "192.168.20.4", "192.170.20.4",
             "192.172.20.4"}));
}

// Each bad line is an error at its line naming what is wrong, and it produces nothing.
TEST(ConfigSequence, BadLinesAreErrors) {
  const std::pair<const char*, const char*> cases[] = {
      {"~SEQ(i) x", "',' and the numbers expected after the name"},
      {"~SEQ i, 3) x", "'(' expected"},
      {"~SEQ(1x, 3) x", "'1x' is not a variable name"},
      {"~SEQ(i, 1, 2", "no closing ')'"},
      {"~SEQ(i, a) x", "a' is not a number"},
      {"~SEQ(i, ) x", "' ' is not a number"},
      {"~SEQ(i, 1, 0, 5) x", "STEP is 0 or goes away from END"},
      {"~SEQ(i, 1, -1, 5) x", "STEP is 0 or goes away from END"},
      {"~SEQ(i, 1, 2, 3, 4) x", "at most START, STEP and END"},
      {"~SEQx(i, -1, 3) x", "~SEQx takes no negative numbers"},
      {"~SEQ(i, 99999999999999999999) x", "is not a number"},
      {"~LST(A) x", "no values"},
      {"~LST({A}, {1,2}) x", "more values than the 1 variables"},
      {"~LST(A, 1, 2 x", "',' or ')' expected"},
      {"~FOO(x) y", "'~FOO(x)': keepalived's repetitions are ~SEQ, ~SEQx and ~LST"},
  };
  for (auto [line, message] : cases) {
    auto p = parseWithId(std::string("a\n") + line + "\nb\n", "main");
    EXPECT_TRUE(hasError(p.result, 2, message)) << line;
    EXPECT_EQ(testing::statements(p.tree), (Lines{"a", "b"})) << line;
  }
}

// A ~SEQ longer than all expansions may produce is refused before anything is repeated.
TEST(ConfigSequence, OversizedSequenceIsRefusedAtOnce) {
  auto p = parseWithId("~SEQ(i, 0, 9223372036854775807) x$i\nb\n", "main");
  EXPECT_TRUE(hasError(p.result, 1,
                       "~SEQ(i, ...) repeats its line 9223372036854775808 times: more than the "
                       "2000000 lines"));
  EXPECT_EQ(testing::statements(p.tree), (Lines{"b"}));
  auto full = parseWithId("~SEQ(i, -9223372036854775807, 9223372036854775807) x\n", "main");
  EXPECT_TRUE(hasError(full.result, 1, "repeats its line"));
}

// A ~SEQ that uses itself through a definition nests until the depth limit names the chain;
// its repetitions would go on, so the load stops there.
TEST(ConfigSequence, RecursionThroughSequencesStopsAtTheDepthLimit) {
  auto p = parseWithId("$S=~SEQ(i, 1, 2) $S\n$S\nafter\n", "main");
  EXPECT_TRUE(hasError(p.result, 2,
                       "~SEQ, ~LST and multi-line definitions nested deeper than 16 levels: "
                       "~SEQ(i) -> ~SEQ(i)"));
  EXPECT_TRUE(p.tree.truncated);
  EXPECT_EQ(p.result.diagnostics.size(), 1u) << testing::dump(p.result);
}

// Two nested sequences of empty lines: 4 million lines and no text. Stopped at 2,000,000.
TEST(ConfigSequence, ExpandedLinesAreBounded) {
  auto p = parseWithId("router_id x\n~SEQ(a, 1, 2000) ~SEQ(b, 1, 2000)\n", "main");
  EXPECT_TRUE(hasError(p.result, 2,
                       "~SEQ, ~LST and multi-line definitions produced more than 2000000 lines; "
                       "stopped reading the config"));
  EXPECT_TRUE(p.tree.truncated);
}

// A 60 KiB value repeated 2000 times would be 120 MB of text. Stopped at 64 MiB.
TEST(ConfigSequence, ExpandedTextIsBounded) {
  std::string text = "global_defs {\n router_id x\n}\n$BIG=@nowhere " + std::string(60000, 'x') +
                     "\n~SEQ(i, 1, 2000) $BIG\n";
  auto r = loadConfigText(text, testing::kTestFile, testing::testScripts(), "main");
  EXPECT_TRUE(hasError(r, 5,
                       "parameter substitution and ~SEQ/~LST/multi-line expansion would write "
                       "more than 67108864 bytes; stopped reading the config"));
  // The config is empty, as for every hard limit.
  EXPECT_TRUE(r.config.globals.routerId.empty());
}

}  // namespace
}  // namespace ha::director
