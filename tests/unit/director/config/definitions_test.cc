// keepalived's parameters: `$NAME=VALUE`, `$NAME` / `${NAME}`, multi-line definitions, the
// predefined names, and the errors (recursion, unterminated definitions, lines too long).
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/unit/director/config/language_test_util.h"

namespace ha::director {
namespace {

using testing::hasError;
using testing::hasNoErrors;
using testing::hasWarning;
using testing::isClean;
using testing::parseWithId;
using testing::statements;
using testing::testScripts;

using Lines = std::vector<std::string>;

// `$NAME` ends at a blank, `,`, `)` or the line's end; `${NAME}` may sit inside a word.
TEST(ConfigDefinitions, ReferenceForms) {
  auto p = parseWithId("$Q=q1\n$Q\n${Q}2\n$Qx\nx $Q,y $Q)z\n\"quoted $Q ${Q}\" \"$Q\"\n", "main");
  EXPECT_EQ(testing::statements(p.tree),
            (Lines{"q1", "q12", "$Qx", "x q1,y q1)z", "quoted q1 q1 $Q"}));
  EXPECT_TRUE(hasWarning(p.result, 4, "$Qx is not defined"));
}

// Values are substituted when used, not when defined (keepalived.conf(5)'s example).
TEST(ConfigDefinitions, BoundAtUse) {
  EXPECT_EQ(statements("$ADDRESS_BASE=10.2.${ADDRESS_BASE_SUB}\n"
                       "$ADDRESS_BASE_SUB=0\n"
                       "${ADDRESS_BASE}.100/32\n"
                       "$ADDRESS_BASE_SUB=10\n"
                       "${ADDRESS_BASE}.100/32\n"),
            (Lines{"10.2.0.100/32", "10.2.10.100/32"}));
}

// A redefinition applies from its line on; an empty value is allowed; blanks after `=` and at
// the end go; a comment is not part of the value.
TEST(ConfigDefinitions, RedefinitionEmptyValueAndComments) {
  EXPECT_EQ(statements("$X=one\na $X\n$X=two\nb $X\n$E=\ne_${E}_e\n$S=   spaced   # note\n"
                       "s_${S}_s\n"),
            (Lines{"a one", "b two", "e__e", "s_spaced_s"}));
}

// `$NAME =VALUE` (a blank before `=`) is not a definition; a `$` in a comment is not read.
TEST(ConfigDefinitions, NotDefinitions) {
  auto p = parseWithId("$T =no\nx # $T=1\n", "main");
  EXPECT_EQ(testing::statements(p.tree), (Lines{"$T =no", "x"}));
}

// An undefined name is left as written (keepalived): a warning once the config defines
// parameters, none in quotes (a script's shell variables) and none when it defines nothing.
TEST(ConfigDefinitions, UndefinedNamesAreLeftAsWritten) {
  auto p = parseWithId("$A=1\npriority $PRIO\nnotify \"/bin/x ${HOME} $USER\"\n", "main");
  EXPECT_EQ(testing::statements(p.tree), (Lines{"priority $PRIO", "notify /bin/x ${HOME} $USER"}));
  EXPECT_TRUE(hasWarning(p.result, 2, "$PRIO is not defined: left as written"));
  EXPECT_EQ(p.result.diagnostics.size(), 1u) << testing::dump(p.result);
  EXPECT_TRUE(isClean(parseWithId("auth_pass $ecret\n", "main").result));
}

// keepalived.conf(5)'s multi-line example, with conditions inside the value.
TEST(ConfigDefinitions, MultiLineDefinition) {
  std::string text =
      "$INSTANCE= \\\n"
      "vrrp_instance VI_${NUM} { \\\n"
      "    interface eth0.${NUM} \\\n"
      "    @high priority 130 \\\n"
      "    @low priority 120 \\\n"
      "    virtual_ipaddress { \\\n"
      "        10.0.${NUM}.254/24 \\\n"
      "    } \\\n"
      "}\n"
      "\n"
      "$NUM=0\n"
      "$INSTANCE\n"
      "$NUM=1\n"
      "$INSTANCE\n";
  Lines expected = {
      "vrrp_instance VI_0 { interface eth0.0; priority 130; virtual_ipaddress { 10.0.0.254/24 } }",
      "vrrp_instance VI_1 { interface eth0.1; priority 130; virtual_ipaddress { 10.0.1.254/24 } }"};
  EXPECT_EQ(statements(text, "high"), expected);
  auto p = parseWithId(text, "high");
  ASSERT_EQ(p.tree.roots.size(), 2u);
  // Every line of an expansion is reported at the line that used it.
  EXPECT_EQ(p.tree.roots[1].where.line, 14);
  EXPECT_EQ(p.tree.roots[1].children[0].where.line, 14);
}

// Multi-line definitions nest (keepalived.conf(5): 2 virtual servers of 3 real servers).
TEST(ConfigDefinitions, NestedMultiLineDefinitions) {
  std::string text =
      "$RS= \\\n"
      "real_server 192.168.${VS_NUM}.${RS_NUM} 80 { \\\n"
      "    weight 1 \\\n"
      "}\n"
      "$VS= \\\n"
      "virtual_server 10.0.${VS_NUM}.4 80 { \\\n"
      "    quorum 2 \\\n"
      "    $RS_NUM=1 \\\n"
      "    $RS \\\n"
      "    $RS_NUM=2 \\\n"
      "    $RS \\\n"
      "}\n"
      "$VS_NUM=0\n"
      "$VS\n"
      "$VS_NUM=1\n"
      "$VS\n";
  EXPECT_EQ(
      statements(text),
      (Lines{"virtual_server 10.0.0.4 80 { quorum 2; real_server 192.168.0.1 80 { weight 1 }; "
             "real_server 192.168.0.2 80 { weight 1 } }",
             "virtual_server 10.0.1.4 80 { quorum 2; real_server 192.168.1.1 80 { weight 1 }; "
             "real_server 192.168.1.2 80 { weight 1 } }"}));
}

// A multi-line definition is replaced only where its reference ends the line: its first line
// there, the rest as lines of their own. Elsewhere it is left with a warning.
TEST(ConfigDefinitions, MultiLineReferencePlacement) {
  auto p = parseWithId("$M=\\\n a1 \\\n a2\nq $M\n$M foo\n", "main");
  EXPECT_EQ(testing::statements(p.tree), (Lines{"q a1", "a2", "$M foo"}));
  EXPECT_TRUE(hasWarning(p.result, 5, "$M is a multi-line definition: it is replaced only at"));
}

// An empty line ends a multi-line definition (keepalived); blank and comment lines do not.
TEST(ConfigDefinitions, EmptyLineEndsAMultiLineDefinition) {
  EXPECT_EQ(statements("$N=\\\n  b1 \\\n   \\\n# note\n  b2 \\\n\n  b3\n$N\n"),
            (Lines{"b3", "b1", "b2"}));
}

TEST(ConfigDefinitions, UnterminatedDefinitionIsAnError) {
  auto p = parseWithId("x\n$M=\\\n  a \\\n  b \\\n", "main");
  EXPECT_TRUE(hasError(p.result, 2,
                       "definition of $M is not terminated: the file ends after a line ending "
                       "in '\\'"));
  // Inside an included file too: it never runs on into the including file.
  testing::TempDir dir;
  dir.write("defs.conf", "$M=\\\n  a \\\n");
  auto main = dir.write("main.conf", "include defs.conf\nrouter_id x\n");
  auto r = testing::parseFileWithId(main, "main");
  EXPECT_TRUE(hasError(r.result, 1, "definition of $M is not terminated", dir.file("defs.conf")));
  EXPECT_EQ(testing::statements(r.tree), (Lines{"router_id x"}));
}

// keepalived loops for ever on these (or until its line is full); here each is an error at the
// line that uses it, naming the chain, and the line is skipped.
TEST(ConfigDefinitions, RecursionIsAnError) {
  auto self = parseWithId("$A=$A\n$A\nnext\n", "main");
  EXPECT_TRUE(hasError(self.result, 2, "$A uses itself: $A -> $A; line skipped"));
  EXPECT_EQ(testing::statements(self.tree), (Lines{"next"}));
  auto chain = parseWithId("$A=x${B}\n$B=${C}\n$C=$A\ny $A\n", "main");
  EXPECT_TRUE(hasError(chain.result, 4, "$A uses itself: $A -> $B -> $C -> $A"));
  auto growing = parseWithId("$Z=a $Z\n$Z\n", "main");
  EXPECT_TRUE(hasError(growing.result, 2, "$Z uses itself"));
  auto multi = parseWithId("$M=\\\n first \\\n $M\n$M\n", "main");
  EXPECT_TRUE(hasError(multi.result, 4, "multi-line definition $M uses itself"));
  // The same name twice in one line, or one value using another twice, is not recursion.
  EXPECT_EQ(statements("$B=b\n$A=${B}${B}\n${A}-${A}\n"), (Lines{"bb-bb"}));
}

// _PWD (the directory of the file being read), _INSTANCE (the config id), _RANDOM, _HASH, _BANG.
TEST(ConfigDefinitions, PredefinedNames) {
  testing::TempDir dir;
  dir.write("sub/inc.conf", "inc ${_PWD}\n");
  auto main = dir.write("main.conf",
                        "pwd ${_PWD}\ninstance ${_INSTANCE}\ninclude sub/inc.conf\n"
                        "hash \"a${_HASH}b${_BANG}c\"\nr ${_RANDOM 5 6} ${_RANDOM}\n");
  auto p = testing::parseFileWithId(main, "dir1");
  EXPECT_TRUE(isClean(p.result)) << testing::dump(p.result);
  auto lines = testing::statements(p.tree);
  ASSERT_EQ(lines.size(), 5u);
  auto base = std::filesystem::canonical(dir.path()).string();
  EXPECT_TRUE(lines[0] == "pwd " + dir.path().string() || lines[0] == "pwd " + base) << lines[0];
  EXPECT_EQ(lines[1], "instance dir1");
  EXPECT_TRUE(lines[2] == "inc " + dir.file("sub") || lines[2] == "inc " + base + "/sub")
      << lines[2];
  EXPECT_EQ(lines[3], "hash a#b!c");
  const auto& r = p.tree.roots[4].args;
  ASSERT_EQ(r.size(), 2u);
  EXPECT_TRUE(r[0] == "5" || r[0] == "6") << r[0];
  EXPECT_LE(std::stoul(r[1]), 32767u);
  auto bad = parseWithId("r ${_RANDOM 9 3}\n", "main");
  EXPECT_TRUE(hasError(bad.result, 1, "${_RANDOM 9 3}: MIN is greater than MAX"));
  // A predefined name may be redefined.
  EXPECT_EQ(statements("$_INSTANCE=mine\n${_INSTANCE}\n"), (Lines{"mine"}));
}

// Definitions hold across includes (keepalived keeps one list), and `include` itself is
// substituted.
TEST(ConfigDefinitions, DefinitionsAcrossIncludes) {
  testing::TempDir dir;
  dir.write("conf.d/defs.conf", "$ROUTER=from-include\n");
  dir.write("conf.d/more.conf", "global_defs {\n  router_id ${ROUTER}\n}\n");
  auto main =
      dir.write("main.conf", "$DIR=conf.d\ninclude ${DIR}/defs.conf\ninclude ${DIR}/more.conf\n");
  auto r = loadConfigFile(main, testScripts(), "main");
  EXPECT_TRUE(isClean(r));
  EXPECT_EQ(r.config.globals.routerId, "from-include");
}

// keepalived's line limit is 1 KiB; ours is 64 KiB, after substitution too.
TEST(ConfigDefinitions, SubstitutionPastTheLineLimitIsAnError) {
  std::string text = "$K=" + std::string(40000, 'k') + "\nx ${K}${K}\ny ${K}\n";
  auto p = parseWithId(text, "main");
  EXPECT_TRUE(hasError(p.result, 2, "substituting $K makes the line longer than 65536 bytes"));
  ASSERT_EQ(p.tree.roots.size(), 1u);
  EXPECT_EQ(p.tree.roots[0].keyword, "y");
}

// Each name doubling the last: 2^16 substitutions in a short line. Refused at 10,000.
TEST(ConfigDefinitions, SubstitutionsPerLineAreBounded) {
  std::string text = "$N16=\n";
  for (int i = 15; i >= 0; --i) {
    text += "$N" + std::to_string(i) + "=${N" + std::to_string(i + 1) + "}${N" +
            std::to_string(i + 1) + "}\n";
  }
  text += "x ${N0}\n";
  auto p = parseWithId(text, "main");
  EXPECT_TRUE(hasError(p.result, 18, "more than 10000 parameter substitutions in one line"));
  EXPECT_TRUE(p.tree.roots.empty());
}

}  // namespace
}  // namespace ha::director
