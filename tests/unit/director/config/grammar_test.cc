// The first pass: tokens, comments, quotes, braces, and the generic tree.
#include <gtest/gtest.h>

#include "director/config/tree_parser.h"
#include "tests/unit/director/config/config_test_util.h"

namespace ha::director {
namespace {

using testing::hasError;
using testing::hasNoErrors;
using testing::isClean;
using testing::load;

config::ConfigTree parse(std::string_view text, config::DiagnosticSink& sink) {
  return config::parseConfigTree(text, "t.conf", sink);
}

// `#` and `!` start comments where a word would start; inside a word they are ordinary bytes.
TEST(ConfigGrammar, CommentsRunToEndOfLine) {
  config::DiagnosticSink sink;
  auto tree = parse("# whole line\n! bang line\na b # trailing\nc d!e f#g ! rest\n", sink);
  EXPECT_TRUE(sink.take().empty());
  ASSERT_EQ(tree.roots.size(), 2u);
  EXPECT_EQ(tree.roots[0].keyword, "a");
  EXPECT_EQ(tree.roots[0].args, (std::vector<std::string>{"b"}));
  EXPECT_EQ(tree.roots[0].where.line, 3);
  EXPECT_EQ(tree.roots[1].args, (std::vector<std::string>{"d!e", "f#g"}));
  EXPECT_EQ(tree.roots[1].where.line, 4);
}

// Quoted words keep spaces, braces and comment characters; \" and \\ are escapes.
TEST(ConfigGrammar, QuotedStringsKeepSpacesAndEscapes) {
  config::DiagnosticSink sink;
  auto tree = parse(R"(notify "/bin/run me" "say \"hi\" # { }" "a\\b" "" x"y z")", sink);
  EXPECT_TRUE(sink.take().empty());
  ASSERT_EQ(tree.roots.size(), 1u);
  EXPECT_EQ(tree.roots[0].args,
            (std::vector<std::string>{"/bin/run me", "say \"hi\" # { }", "a\\b", "", "xy z"}));
}

// An unterminated quote is an error at its line, not a silently swallowed rest of file.
TEST(ConfigGrammar, UnterminatedQuoteIsAnError) {
  auto r = load("global_defs {\n  router_id \"abc\n}\n");
  EXPECT_TRUE(hasError(r, 2, "unterminated quoted string"));
}

// `{` may end the line, sit alone on the next line, or open and close a block on one line.
TEST(ConfigGrammar, BracePlacementsAllBuildTheSameTree) {
  const std::pair<const char*, int> forms[] = {
      // text, line of real_server
      {"virtual_server 192.0.2.1 80 {\n  real_server 10.0.0.1 80 {\n    weight 2\n  }\n}\n", 2},
      {"virtual_server 192.0.2.1 80\n{\n  real_server 10.0.0.1 80\n  {\n    weight 2\n  }\n}\n", 3},
      {"virtual_server 192.0.2.1 80 {\n  real_server 10.0.0.1 80 { weight 2 }\n}\n", 2},
      {"virtual_server 192.0.2.1 80{real_server 10.0.0.1 80{weight 2}\n}\n", 1},
  };
  for (auto [text, realLine] : forms) {
    auto r = load(text);
    EXPECT_TRUE(isClean(r)) << text;
    ASSERT_EQ(r.config.virtualServers.size(), 1u) << text;
    ASSERT_EQ(r.config.virtualServers[0].reals.size(), 1u) << text;
    EXPECT_EQ(r.config.virtualServers[0].reals[0].weight, 2u) << text;
    EXPECT_EQ(r.config.virtualServers[0].reals[0].where.line, realLine) << text;
  }
}

// Windows line ends, tabs and blank lines are whitespace.
TEST(ConfigGrammar, CrLfAndTabsAreWhitespace) {
  auto r = load("\r\n\tglobal_defs {\r\n\t\trouter_id  dir1\r\n\r\n}\r\n");
  EXPECT_TRUE(isClean(r));
  EXPECT_EQ(r.config.globals.routerId, "dir1");
}

// A `}` with no open block is reported where it stands.
TEST(ConfigGrammar, StrayCloseBraceIsAnError) {
  auto r = load("global_defs {\n}\n}\n");
  EXPECT_TRUE(hasError(r, 3, "unbalanced braces: '}' closes no block"));
}

// A block never closed is reported at the keyword that opened it.
TEST(ConfigGrammar, UnclosedBlockIsReportedAtItsKeyword) {
  auto r = load("global_defs {\n  router_id a\n}\nvirtual_server 192.0.2.1 80 {\n  lb_algo rr\n");
  EXPECT_TRUE(hasError(r, 4, "block 'virtual_server' is never closed"));
}

// A `{` with no keyword before it is an error, and the braces stay in step after it.
TEST(ConfigGrammar, BlockWithoutKeywordIsAnError) {
  auto r = load("{\n  x\n}\nglobal_defs {\n  router_id after\n}\n");
  EXPECT_TRUE(hasError(r, 1, "'{' without a keyword"));
  EXPECT_EQ(r.config.globals.routerId, "after");
  EXPECT_EQ(r.diagnostics.size(), 1u) << testing::dump(r);
}

// Every node carries its own file:line, including nested ones.
TEST(ConfigGrammar, NodesKeepTheirLines) {
  config::DiagnosticSink sink;
  auto tree = parse("\n\na {\n\n  b 1\n  c {\n    d\n  }\n}\n", sink);
  ASSERT_EQ(tree.roots.size(), 1u);
  const auto& a = tree.roots[0];
  EXPECT_EQ(a.where.line, 3);
  EXPECT_EQ(a.where.file, "t.conf");
  ASSERT_EQ(a.children.size(), 2u);
  EXPECT_EQ(a.children[0].where.line, 5);
  EXPECT_FALSE(a.children[0].hasBlock);
  EXPECT_TRUE(a.children[1].hasBlock);
  ASSERT_EQ(a.children[1].children.size(), 1u);
  EXPECT_EQ(a.children[1].children[0].where.line, 7);
}

// An empty config or one of comments only loads with nothing in it.
TEST(ConfigGrammar, EmptyConfigIsValid) {
  EXPECT_TRUE(isClean(load("")));
  auto r = load("# nothing\n\n! here\n");
  EXPECT_TRUE(isClean(r));
  EXPECT_TRUE(r.config.virtualServers.empty());
  EXPECT_TRUE(hasNoErrors(r));
}

}  // namespace
}  // namespace ha::director
