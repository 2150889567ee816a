// The dump file is replaced in one step: a reader sees the old or the new text, a symlink planted
// at the path is replaced (its target untouched), and a directory that cannot be written is an
// error naming it.
#include "director/node/dump_writer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace ha::director {
namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class DumpFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "dump-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

// Written, rewritten, world-readable, and no temp file left beside it.
TEST_F(DumpFile, WritesAndReplaces) {
  const auto path = dir_ / "keepalived.data";
  ASSERT_TRUE(writeFileAtomically(path.string(), "first\n"));
  ASSERT_TRUE(writeFileAtomically(path.string(), "second\n"));
  EXPECT_EQ(slurp(path), "second\n");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_),
                          std::filesystem::directory_iterator()),
            1);
}

// A symlink at the path (say in /tmp, planted by another user) is replaced, not followed.
TEST_F(DumpFile, SymlinkIsReplacedNotFollowed) {
  const auto victim = dir_ / "victim";
  std::ofstream(victim) << "keep me\n";
  const auto path = dir_ / "keepalived.stats";
  std::filesystem::create_symlink(victim, path);
  ASSERT_TRUE(writeFileAtomically(path.string(), "stats\n"));
  EXPECT_FALSE(std::filesystem::is_symlink(path));
  EXPECT_EQ(slurp(path), "stats\n");
  EXPECT_EQ(slurp(victim), "keep me\n");
}

// A directory that does not exist: an error naming the path, nothing created.
TEST_F(DumpFile, MissingDirectoryIsAnError) {
  auto st = writeFileAtomically((dir_ / "nope" / "keepalived.data").string(), "x");
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().find("nope/keepalived.data"), std::string::npos) << st.error();
}

}  // namespace
}  // namespace ha::director
