// `include GLOB`: relative to the including file, sorted, nested, bounded.
#include <gtest/gtest.h>

#include "tests/unit/director/config/config_test_util.h"

namespace ha::director {
namespace {

using testing::dataPath;
using testing::hasError;
using testing::hasNoErrors;
using testing::hasWarning;
using testing::isClean;
using testing::TempDir;

// A glob, a relative path and an include inside a block all resolve against the including file.
TEST(ConfigInclude, GlobRelativeAndInsideBlock) {
  auto r = loadConfigFile(dataPath("include/main.conf"));
  EXPECT_TRUE(isClean(r));
  EXPECT_EQ(r.config.globals.routerId, "from-conf-d");
  ASSERT_EQ(r.config.laddrGroups.count("pool"), 1u);
  ASSERT_EQ(r.config.virtualServers.size(), 1u);
  const auto& vs = r.config.virtualServers[0];
  EXPECT_EQ(vs.where, (SourceLocation{dataPath("include/services/web.conf"), 1}));
  ASSERT_EQ(vs.reals.size(), 2u);
  EXPECT_EQ(vs.reals[1].where, (SourceLocation{dataPath("include/services/reals.inc"), 2}));
}

// Glob matches are read in sorted order, whatever order they were created in.
TEST(ConfigInclude, GlobMatchesAreSorted) {
  TempDir dir;
  dir.write("d/b.conf", "global_defs {\n  router_id from-b\n}\n");
  dir.write("d/a.conf", "global_defs {\n  router_id from-a\n}\n");
  auto r = loadConfigFile(dir.write("main.conf", "include d/*.conf\n"));
  EXPECT_TRUE(isClean(r));
  EXPECT_EQ(r.config.globals.routerId, "from-b");  // read last
}

// A named file that does not exist is an error at the include's file:line.
TEST(ConfigInclude, MissingFileIsAnErrorAtTheInclude) {
  auto r = loadConfigFile(dataPath("include/missing.conf"));
  EXPECT_TRUE(hasError(r, 4, "no-such-file.conf': no such file", dataPath("include/missing.conf")));
}

// A glob matching nothing (an empty conf.d) is only a warning.
TEST(ConfigInclude, EmptyGlobIsAWarning) {
  TempDir dir;
  auto main = dir.write("main.conf", "include conf.d/*.conf\n");
  auto r = loadConfigFile(main);
  EXPECT_TRUE(hasNoErrors(r));
  EXPECT_TRUE(hasWarning(r, 1, "matched no files", main));
}

// keepalived's include variants: includem, includew and includea refuse an empty match.
TEST(ConfigInclude, IncludeVariants) {
  TempDir dir;
  dir.write("d/a.conf", "global_defs {\n  router_id from-a\n}\n");
  for (const char* keyword : {"includer", "includem", "includew", "includeb", "includea"}) {
    auto r = loadConfigFile(dir.write("main.conf", std::string(keyword) + " d/*.conf\n"));
    EXPECT_TRUE(isClean(r)) << keyword;
    EXPECT_EQ(r.config.globals.routerId, "from-a") << keyword;
  }
  auto main = dir.write("empty.conf", "includem conf.d/*.conf\nincluder conf.d/*.conf\n");
  auto r = loadConfigFile(main);
  EXPECT_TRUE(hasError(r, 1, "includem pattern", main));
  EXPECT_TRUE(hasError(r, 1, "matched no files", main));
  EXPECT_TRUE(hasWarning(r, 2, "matched no files", main));
}

// Loading loadConfigText resolves includes against the directory of the name it is given.
TEST(ConfigInclude, TextIncludesResolveAgainstFileNameDirectory) {
  TempDir dir;
  dir.write("extra.conf", "global_defs {\n  router_id extra\n}\n");
  auto r = loadConfigText("include extra.conf\n", dir.file("virtual.conf"));
  EXPECT_TRUE(isClean(r));
  EXPECT_EQ(r.config.globals.routerId, "extra");
}

// A file including itself through another is refused, naming the chain.
TEST(ConfigInclude, CycleIsAnErrorNamingTheChain) {
  auto a = dataPath("include_cycle/a.conf");
  auto b = dataPath("include_cycle/b.conf");
  auto r = loadConfigFile(a);
  EXPECT_TRUE(hasError(r, 3, "include cycle: " + a + " -> " + b + " -> " + a, b));
}

// Eight levels of include are fine; the ninth is refused with the whole chain in the message.
TEST(ConfigInclude, DepthLimitIsEightLevels) {
  TempDir dir;
  for (int i = 0; i < 12; ++i) {
    dir.write("l" + std::to_string(i) + ".conf", "include l" + std::to_string(i + 1) + ".conf\n");
  }
  dir.write("l12.conf", "");
  auto r = loadConfigFile(dir.file("l0.conf"));
  std::string chain;
  for (int i = 0; i <= 8; ++i) chain += dir.file("l" + std::to_string(i) + ".conf") + " -> ";
  chain += dir.file("l9.conf");
  EXPECT_TRUE(
      hasError(r, 1, "includes nested deeper than 8 levels: " + chain, dir.file("l8.conf")));
  EXPECT_EQ(r.diagnostics.size(), 1u) << testing::dump(r);

  // Exactly eight levels: l0 includes l1 ... l8, which includes nothing.
  dir.write("l8.conf", "global_defs {\n  router_id deep\n}\n");
  auto ok = loadConfigFile(dir.file("l0.conf"));
  EXPECT_TRUE(isClean(ok));
  EXPECT_EQ(ok.config.globals.routerId, "deep");
}

// include takes exactly one pattern, and a directory is not a config file.
TEST(ConfigInclude, BadIncludeStatements) {
  TempDir dir;
  dir.write("sub/x.conf", "");
  auto main = dir.write("main.conf", "include\ninclude a b\ninclude sub\ninclude x { }\n");
  auto r = loadConfigFile(main);
  EXPECT_TRUE(hasError(r, 1, "include needs exactly one", main));
  EXPECT_TRUE(hasError(r, 2, "include needs exactly one", main));
  EXPECT_TRUE(hasError(r, 3, "not a regular file", main));
  EXPECT_TRUE(hasError(r, 4, "include takes no block", main));
}

// An unreadable top-level file is one error naming the path.
TEST(ConfigInclude, MissingTopLevelFile) {
  auto r = loadConfigFile("/nonexistent/directord.conf");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].str(),
            "/nonexistent/directord.conf: error: cannot read '/nonexistent/directord.conf': no "
            "such file");
}

// Braces must balance within each included file, even when it is included inside a block.
TEST(ConfigInclude, IncludedFileMustBalanceItsBraces) {
  TempDir dir;
  auto part = dir.write("part.conf", "real_server 10.0.0.1 80\n}\n");
  auto main = dir.write("main.conf", "virtual_server 192.0.2.1 80 {\n  include part.conf\n}\n");
  auto r = loadConfigFile(main);
  EXPECT_TRUE(hasError(r, 2, "'}' closes no block", part));
  ASSERT_EQ(r.config.virtualServers.size(), 1u);
  EXPECT_EQ(r.config.virtualServers[0].reals.size(), 1u);
}

// The 16 MiB limit counts every file read together: a second include that would pass it is
// refused at its line and reading stops (each file alone is under the limit).
TEST(ConfigInclude, TotalBytesAcrossIncludesAreCapped) {
  TempDir dir;
  const std::string nineMiB(9 * 1024 * 1024, '\n');
  dir.write("a.conf", nineMiB);
  dir.write("b.conf", nineMiB);
  auto main = dir.write("main.conf", "include a.conf\ninclude b.conf\n");
  auto r = loadConfigFile(main);
  EXPECT_TRUE(hasError(r, 2,
                       "cannot include '" + dir.file("b.conf") +
                           "': the config would pass 16777216 bytes (all files together); "
                           "stopped reading the config",
                       main));
  EXPECT_EQ(r.diagnostics.size(), 1u) << testing::dump(r);
}

// A glob through a symlink loop (10 links to their own directory, 6 levels: a million paths)
// stops once the include patterns have read 100,000 directory entries, at the include's line.
TEST(ConfigInclude, GlobFanOutIsCapped) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "loop");
  for (int i = 0; i < 10; ++i) {
    std::filesystem::create_directory_symlink(".", dir.path() / "loop" / ("s" + std::to_string(i)));
  }
  auto main = dir.write("main.conf", "global_defs {\n}\ninclude loop/*/*/*/*/*/*/*.conf\n");
  auto r = loadConfigFile(main);
  EXPECT_TRUE(hasError(r, 3,
                       "include pattern '" + dir.file("loop/*/*/*/*/*/*/*.conf") +
                           "': the include patterns read more than 100000 directory entries in "
                           "all; stopped reading the config",
                       main));
  EXPECT_EQ(r.diagnostics.size(), 1u) << testing::dump(r);
}

// Every statement copies its file's name: 70,000 one-letter statements in a file whose path is
// ~3,800 bytes long would take ~280 MB. The statement tree stops at 256 MiB with one error.
TEST(ConfigInclude, StatementTreeMemoryIsCapped) {
  TempDir dir;
  std::string deep = "d";
  for (int i = 0; i < 15; ++i) deep += "/" + std::string(250, static_cast<char>('a' + i));
  std::string lines;
  for (int i = 0; i < 70000; ++i) lines += "x\n";
  const std::string part = dir.write(deep + "/part.conf", lines);
  auto main = dir.write("main.conf", "include " + deep + "/part.conf\n");
  auto r = loadConfigFile(main);
  ASSERT_EQ(r.diagnostics.size(), 1u) << testing::dump(r);
  EXPECT_EQ(r.diagnostics[0].where.file, part);
  EXPECT_GT(r.diagnostics[0].where.line, 60000);
  EXPECT_LT(r.diagnostics[0].where.line, 70000);
  EXPECT_EQ(r.diagnostics[0].message,
            "the statements read so far take more than 268435456 bytes of memory; stopped "
            "reading the config");
}

}  // namespace
}  // namespace ha::director
