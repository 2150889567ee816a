// keepalived's conditional configuration: `@ID` lines apply when directord runs with that config
// id (-i), `@^ID` lines when it does not; a line without a prefix always applies.
#include <gtest/gtest.h>

#include "tests/unit/director/config/language_test_util.h"

namespace ha::director {
namespace {

using testing::dataPath;
using testing::hasError;
using testing::hasNoErrors;
using testing::hasWarning;
using testing::isClean;
using testing::parseWithId;
using testing::statements;
using testing::testScripts;

using Lines = std::vector<std::string>;

// keepalived.conf(5)'s example: one file for three routers.
constexpr const char* kManPageExample =
    "global_defs {\n"
    "    @main   router_id main_router\n"
    "    @backup router_id backup_router\n"
    "}\n"
    "unicast_peer {\n"
    "    @^main    1.2.3.4\n"
    "    @^backup  1.2.3.5\n"
    "    @^backup2 1.2.3.6\n"
    "}\n";

TEST(ConfigConditional, ConfigIdSelectsTheLines) {
  EXPECT_EQ(statements(kManPageExample, "main"),
            (Lines{"global_defs { router_id main_router }", "unicast_peer { 1.2.3.5; 1.2.3.6 }"}));
  EXPECT_EQ(statements(kManPageExample, "backup"), (Lines{"global_defs { router_id backup_router }",
                                                          "unicast_peer { 1.2.3.4; 1.2.3.6 }"}));
  // Any other id: no router_id, every peer.
  EXPECT_EQ(statements(kManPageExample, "other"),
            (Lines{"global_defs { }", "unicast_peer { 1.2.3.4; 1.2.3.5; 1.2.3.6 }"}));
}

// The id is compared whole: `@main` does not match `mainframe` or `mai`.
TEST(ConfigConditional, IdIsComparedWhole) {
  EXPECT_EQ(statements("@main a\n@mainframe b\n@mai c\n", "main"), (Lines{"a"}));
  EXPECT_EQ(statements("@main a\n@mainframe b\n@mai c\n", "mainframe"), (Lines{"b"}));
  // No id at all (an empty -i): only `@^` lines apply.
  EXPECT_EQ(statements("@main a\n@^main b\nc\n", ""), (Lines{"b", "c"}));
}

// Through the loader: the line's meaning is kept, its location is the line's.
TEST(ConfigConditional, LoaderAppliesTheConfigId) {
  std::string text =
      "global_defs {\n"
      "@high  router_id dir-high\n"
      "@low   router_id dir-low\n"
      "}\n";
  auto high = loadConfigText(text, testing::kTestFile, testScripts(), "high");
  EXPECT_TRUE(isClean(high));
  EXPECT_EQ(high.config.globals.routerId, "dir-high");
  auto low = loadConfigText(text, testing::kTestFile, testScripts(), "low");
  EXPECT_EQ(low.config.globals.routerId, "dir-low");
}

// A condition may guard a definition, and a definition may hold a condition
// (keepalived.conf(5): `$IF_MAIN=@main`).
TEST(ConfigConditional, ConditionsAndDefinitionsCombine) {
  std::string text =
      "@main $PRIORITY=240\n"
      "@backup $PRIORITY=200\n"
      "priority $PRIORITY\n"
      "$IF_MAIN=@main\n"
      "$IF_MAIN weight 7\n";
  EXPECT_EQ(statements(text, "main"), (Lines{"priority 240", "weight 7"}));
  EXPECT_EQ(statements(text, "backup"), (Lines{"priority 200"}));
}

// keepalived skips an `@ID` line alone, even when it opens a block, so one body can sit under
// a header per router.
TEST(ConfigConditional, OneBodyUnderAHeaderPerRouter) {
  std::string text =
      "@main   virtual_server 192.0.2.1 80 {\n"
      "@backup virtual_server 192.0.2.2 80 {\n"
      "    lb_kind NAT\n"
      "}\n";
  EXPECT_EQ(statements(text, "main"), (Lines{"virtual_server 192.0.2.1 80 { lb_kind NAT }"}));
  EXPECT_EQ(statements(text, "backup"), (Lines{"virtual_server 192.0.2.2 80 { lb_kind NAT }"}));
}

// A block whose every line carries the condition goes away whole.
TEST(ConfigConditional, BlockWithTheConditionOnEveryLine) {
  std::string text =
      "vrrp_instance VI_1 {\n"
      "@high track_script {\n"
      "@high     chk\n"
      "@high }\n"
      "    priority 100\n"
      "}\n";
  EXPECT_EQ(statements(text, "high"),
            (Lines{"vrrp_instance VI_1 { track_script { chk }; priority 100 }"}));
  EXPECT_EQ(statements(text, "low"), (Lines{"vrrp_instance VI_1 { priority 100 }"}));
}

// A skipped line that opened a block leaves its `}` unmatched: the error says why.
TEST(ConfigConditional, SkippedBlockOpenerIsNamedInTheBraceError) {
  auto p = parseWithId("@backup vrrp_instance VI_2 {\n  priority 100\n}\n", "main");
  EXPECT_TRUE(hasError(p.result, 3, "'}' closes no block"));
  EXPECT_TRUE(hasError(p.result, 3,
                       "the '@backup' line at test.conf:1 was skipped with its brace: as in "
                       "keepalived, an @ID line is skipped alone"));
}

// Text after a brace is a line of its own (keepalived), so a condition works there too.
TEST(ConfigConditional, ConditionAfterABrace) {
  EXPECT_EQ(statements("global_defs { @main router_id a\n}\n", "main"),
            (Lines{"global_defs { router_id a }"}));
  EXPECT_EQ(statements("global_defs { @main router_id a\n}\n", "backup"),
            (Lines{"global_defs { }"}));
}

// keepalived ignores `@main` alone and `@ x` silently; we say so.
TEST(ConfigConditional, MalformedConditionsWarn) {
  auto p = parseWithId("@main\n@ router_id x\nrouter_id y\n", "main");
  EXPECT_TRUE(hasNoErrors(p.result));
  EXPECT_TRUE(hasWarning(p.result, 1, "'@main' has nothing after the config id; line ignored"));
  EXPECT_TRUE(hasWarning(p.result, 2, "the config id follows '@' without one"));
  EXPECT_EQ(testing::statements(p.tree), (Lines{"router_id y"}));
}

// A conditional include is read only on its router (keepalived 2.2.7 does this too).
TEST(ConfigConditional, ConditionalInclude) {
  testing::TempDir dir;
  dir.write("high.conf", "global_defs {\n  router_id from-high\n}\n");
  dir.write("low.conf", "global_defs {\n  router_id from-low\n}\n");
  auto main = dir.write("main.conf", "@high include high.conf\n@low include low.conf\n");
  EXPECT_EQ(loadConfigFile(main, testScripts(), "high").config.globals.routerId, "from-high");
  EXPECT_EQ(loadConfigFile(main, testScripts(), "low").config.globals.routerId, "from-low");
}

// keepalived's own sample (doc/samples/keepalived.conf.conditional_conf) gets past its
// `@high`/`@low` lines; what is left are the features directord refuses or the host lacks.
TEST(ConfigConditional, KeepalivedSampleConditionalConf) {
  auto path = dataPath("keepalived.conf.conditional_conf");
  for (const auto& [id, priority] : {std::pair{"high", 170}, std::pair{"low", 85}}) {
    auto r = loadConfigFile(path, testScripts(), id);
    for (const auto& d : r.diagnostics) {
      EXPECT_EQ(d.message.find("'@"), std::string::npos) << d.str();
    }
    EXPECT_EQ(r.diagnostics.size(), 3u) << testing::dump(r);
    // Still refused: net_namespace (one directord per namespace: run it inside), use_vmac (no
    // macvlan), and the sample's check scripts are not on this host.
    int ownLine = std::string(id) == "high" ? 3 : 4;
    EXPECT_TRUE(hasError(r, ownLine, "unknown keyword 'net_namespace'", path));
    EXPECT_TRUE(hasError(r, 23, "keyword 'use_vmac' in vrrp_instance not supported", path));
    int scriptLine = ownLine + 4;
    EXPECT_TRUE(hasError(r, scriptLine, std::string("check_") + id + "_VI_0.sh", path));
    auto parsed = testing::parseFileWithId(path, id);
    bool found = false;
    for (const auto& node : parsed.tree.roots) {
      if (node.keyword != "vrrp_instance") continue;
      for (const auto& child : node.children) {
        if (child.keyword == "priority") {
          EXPECT_EQ(child.args, (std::vector<std::string>{std::to_string(priority)}));
          found = true;
        }
      }
    }
    EXPECT_TRUE(found) << id;
  }
}

}  // namespace
}  // namespace ha::director
