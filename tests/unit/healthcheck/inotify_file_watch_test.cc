// The inotify FileWatch on a temporary directory: values as of follow(), writes, renames over the
// file, deletion (0), numbers out of range (ignored), init_file, and files no longer followed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "healthcheck/file_watch.h"
#include "tests/unit/healthcheck/loopback_peers.h"

namespace ha::healthcheck {
namespace {

using namespace std::chrono_literals;

class InotifyFileWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/directord-track-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir = pattern;
    watch = makeInotifyFileWatch(
        io, [this](const std::string& path, int64_t value) { changes.emplace_back(path, value); });
  }
  void TearDown() override { std::filesystem::remove_all(dir); }

  std::string path(const std::string& name) const { return dir + "/" + name; }
  static void write(const std::string& file, const std::string& text) {
    std::ofstream(file, std::ios::trunc) << text;
  }
  bool waitFor(size_t count) {
    return peers::runUntil(
        io, [&] { return changes.size() >= count; }, 2s);
  }

  boost::asio::io_context io;
  std::string dir;
  std::unique_ptr<FileWatch> watch;
  std::vector<std::pair<std::string, int64_t>> changes;
};

// follow() returns each value now (a missing file is 0); later writes are reported.
TEST_F(InotifyFileWatchTest, ValuesAndWrites) {
  write(path("a"), "5\n");
  const auto values = watch->follow({path("a"), path("missing")});
  EXPECT_EQ(values.at(path("a")), 5);
  EXPECT_EQ(values.at(path("missing")), 0);
  write(path("a"), "-3\n");
  ASSERT_TRUE(waitFor(1));
  EXPECT_EQ(changes.back(), std::pair(path("a"), int64_t{-3}));
  write(path("missing"), "0x10");  // created later: its directory is watched
  ASSERT_TRUE(waitFor(2));
  EXPECT_EQ(changes.back(), std::pair(path("missing"), int64_t{16}));
}

// Renamed over (how editors and `mv` replace files) and deleted (0), as keepalived reads them.
TEST_F(InotifyFileWatchTest, RenameAndDelete) {
  write(path("a"), "1");
  watch->follow({path("a")});
  write(path("a.tmp"), "9");
  std::filesystem::rename(path("a.tmp"), path("a"));
  ASSERT_TRUE(waitFor(1));
  EXPECT_EQ(changes.back().second, 9);
  std::filesystem::remove(path("a"));
  ASSERT_TRUE(waitFor(2));
  EXPECT_EQ(changes.back().second, 0);
}

// A number beyond 32 bits is ignored; the same value again is not a change; an unfollowed file
// is not reported.
TEST_F(InotifyFileWatchTest, IgnoredValuesAndUnfollowedFiles) {
  write(path("a"), "2");
  write(path("b"), "2");
  watch->follow({path("a")});
  write(path("a"), "99999999999");
  write(path("a"), "2");
  write(path("b"), "7");
  write(path("a"), "4");
  ASSERT_TRUE(waitFor(1));
  peers::runFor(io, 50ms);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0], std::pair(path("a"), int64_t{4}));
  watch->follow({});
  write(path("a"), "8");
  peers::runFor(io, 100ms);
  EXPECT_EQ(changes.size(), 1u);
}

// init_file: written when missing; an existing file only with overwrite, and only at start.
TEST_F(InotifyFileWatchTest, InitFile) {
  write(path("kept"), "3");
  write(path("over"), "3");
  std::vector<TrackFileConfig> files(3);
  files[0] = TrackFileConfig{"t:1", "new", path("new"), 1, false, 7, false};
  files[1] = TrackFileConfig{"t:2", "kept", path("kept"), 1, false, 0, false};
  files[2] = TrackFileConfig{"t:3", "over", path("over"), 1, false, -1, true};
  watch->initialise(files, true);
  const auto values = watch->follow({path("new"), path("kept"), path("over")});
  EXPECT_EQ(values.at(path("new")), 7);
  EXPECT_EQ(values.at(path("kept")), 3);
  EXPECT_EQ(values.at(path("over")), -1);
  write(path("over"), "5");
  watch->initialise(files, false);  // a reload never overwrites
  EXPECT_EQ(watch->follow({path("over")}).at(path("over")), 5);
}

}  // namespace
}  // namespace ha::healthcheck
