// Config is untrusted input: hard limits end in one clean error, never a crash or a hang.
#include <gtest/gtest.h>

#include <random>

#include "tests/unit/director/config/config_test_util.h"

namespace ha::director {
namespace {

using testing::hasError;
using testing::hasNoErrors;
using testing::load;

std::string nested(int depth) {
  std::string text = "global_defs {\n";
  for (int i = 1; i < depth; ++i) text += "x {\n";
  for (int i = 0; i < depth; ++i) text += "}\n";
  return text;
}

// 32 nested blocks are fine; the 33rd is refused at its line and skipped.
TEST(ConfigHostile, NestingDepthLimit) {
  EXPECT_TRUE(hasNoErrors(load(nested(32))));
  auto r = load(nested(33));
  EXPECT_TRUE(hasError(r, 33, "blocks nested deeper than 32 levels"));
}

// A hundred thousand `{` neither overflow the stack nor produce a hundred thousand errors.
TEST(ConfigHostile, DeepNestingDoesNotRecurse) {
  std::string text;
  for (int i = 0; i < 100000; ++i) text += "a{\n";
  auto r = load(text);
  EXPECT_TRUE(hasError(r, 33, "blocks nested deeper than 32 levels"));
  EXPECT_TRUE(hasError(r, 1, "block 'a' is never closed"));
  EXPECT_LT(r.diagnostics.size(), 100u);
}

// A line over 64 KiB is refused and skipped; the lines after it are still read.
TEST(ConfigHostile, GiantLineIsSkipped) {
  std::string text =
      "global_defs {\n  router_id " + std::string(70000, 'a') + "\n  router_id short\n}\n";
  auto r = load(text);
  EXPECT_TRUE(hasError(r, 2, "line is longer than 65536 bytes; skipped"));
  EXPECT_EQ(r.config.globals.routerId, "short");
  EXPECT_EQ(r.diagnostics.size(), 1u) << testing::dump(r);
}

// More than 1M statements stops the load with one error and an empty config.
TEST(ConfigHostile, NodeLimit) {
  std::string text = "global_defs {\n";
  for (int i = 0; i < 1000001; ++i) text += "x\n";
  text += "}\n";
  auto r = load(text);
  EXPECT_TRUE(hasError(r, 1000001, "more than 1000000 statements; stopped reading the config"));
  EXPECT_EQ(r.diagnostics.size(), 1u);
}

// Control bytes (NUL included) are refused at their line rather than truncating a word.
TEST(ConfigHostile, ControlBytesAreErrors) {
  std::string text = "global_defs {\n  router_id a";
  text += '\0';
  text += "b\n}\n";
  auto r = load(text);
  EXPECT_TRUE(hasError(r, 2, "unexpected control byte 0x00"));
}

// Thousands of errors are capped, with a final line saying how many were left out.
TEST(ConfigHostile, DiagnosticsAreCapped) {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "bogus\n";
  auto r = load(text);
  ASSERT_EQ(r.diagnostics.size(), 1001u);
  EXPECT_EQ(r.diagnostics.back().message, "4000 more diagnostics not shown");
  EXPECT_TRUE(r.hasErrors());
}

// Unbalanced braces in every arrangement end in a clean error.
TEST(ConfigHostile, UnbalancedBraces) {
  for (const char* text : {"}", "{", "}}}{{{", "virtual_server 192.0.2.1 80 {", "a { b { } c",
                           "real_server 10.0.0.1 80 }"}) {
    auto r = load(text);
    EXPECT_TRUE(r.hasErrors()) << text;
  }
}

// Random bytes, and random soups of config tokens, never crash and always blame file:line.
TEST(ConfigHostile, RandomInputNeverCrashes) {
  std::mt19937 rng(20240611);
  const std::vector<std::string> vocabulary = {"{",
                                               "}",
                                               "\n",
                                               " ",
                                               "\"",
                                               "#",
                                               "!",
                                               "\\",
                                               "virtual_server",
                                               "real_server",
                                               "192.0.2.1",
                                               "fd00::1",
                                               "80",
                                               "0",
                                               "lb_kind",
                                               "DR",
                                               "FNAT",
                                               "lb_algo",
                                               "sh",
                                               "local_address_group",
                                               "192.0.2.1-9",
                                               "laddr_group_name",
                                               "g",
                                               "static_ipaddress",
                                               "dev",
                                               "global_defs",
                                               "weight",
                                               "65536",
                                               "TCP_CHECK",
                                               "mh_table_size",
                                               "7"};
  for (int round = 0; round < 300; ++round) {
    std::string text;
    if (round % 2 == 0) {
      for (int i = 0; i < 2048; ++i) text += static_cast<char>(rng() & 0xff);
    } else {
      for (int i = 0; i < 400; ++i) text += vocabulary[rng() % vocabulary.size()] + " ";
    }
    auto r = load(text);
    for (const auto& d : r.diagnostics) {
      ASSERT_EQ(d.where.file, "test.conf");
      ASSERT_GE(d.where.line, 1);
      ASSERT_FALSE(d.message.empty());
    }
    if (round % 2 == 0) {
      EXPECT_TRUE(r.hasErrors());
    }
  }
}

// A text larger than 16 MiB is refused before it is read.
TEST(ConfigHostile, HugeTextIsRefused) {
  std::string text(16 * 1024 * 1024 + 1, '\n');
  auto r = load(text);
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].str(), "test.conf: error: file is larger than 16777216 bytes");
}

}  // namespace
}  // namespace ha::director
