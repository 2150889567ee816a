// Script resolution at config load: absolute paths checked, bare names found in the fixed PATH,
// relative paths refused; and the command-line quoting that carries a resolved path back.
#include "common/program_path.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "common/child_process.h"
#include "tests/fakes/fake_file_probe.h"

namespace ha {
namespace {

using test::FakeFileProbe;
using Words = std::vector<std::string>;

std::string resolved(std::string_view program, const FileProbe& files) {
  auto r = resolveProgram(program, files);
  return r ? r.value() : "error: " + r.error();
}

// An absolute path is used as written when it is an executable regular file; else it says why.
TEST(ResolveProgram, AbsolutePaths) {
  FakeFileProbe files;
  files.add("/usr/local/bin/check_x")
      .add("/etc/ha", FileKind::kNotRegular)
      .add("/etc/ha/notes.txt", FileKind::kNotExecutable);
  EXPECT_EQ(resolved("/usr/local/bin/check_x", files), "/usr/local/bin/check_x");
  EXPECT_EQ(resolved("/usr/local/bin/nope", files), "error: /usr/local/bin/nope: no such file");
  EXPECT_EQ(resolved("/etc/ha", files), "error: /etc/ha: not a regular file");
  EXPECT_EQ(resolved("/etc/ha/notes.txt", files), "error: /etc/ha/notes.txt: not executable");
}

// A bare name is looked up in /usr/sbin:/usr/bin:/sbin:/bin, in that order — never in
// directord's own PATH; what is there but not executable is skipped, as execvp does.
TEST(ResolveProgram, BareNamesUseTheFixedPath) {
  FakeFileProbe files;
  files.add("/usr/bin/check").add("/bin/check").add("/usr/sbin/check", FileKind::kNotExecutable);
  files.add("/usr/local/bin/only_here");
  EXPECT_EQ(resolved("check", files), "/usr/bin/check");
  EXPECT_EQ(resolved("only_here", files),
            "error: only_here: not found in /usr/sbin:/usr/bin:/sbin:/bin");
  files.add("/usr/sbin/check");
  EXPECT_EQ(resolved("check", files), "/usr/sbin/check");
}

// A relative path with a slash would depend on directord's working directory: refused.
TEST(ResolveProgram, RelativePathsAreRefused) {
  FakeFileProbe files;
  files.add("/usr/bin/bin/check");
  EXPECT_EQ(resolved("bin/check", files),
            "error: bin/check: a relative path; write it absolute or as a bare name");
  EXPECT_EQ(resolved("./check", files),
            "error: ./check: a relative path; write it absolute or as a bare name");
  EXPECT_EQ(resolved("", files), "error: empty program name");
}

// The system probe: stat(2) through symlinks, regular files only, and the execute bit.
TEST(SystemFileProbe, ClassifiesRealFiles) {
  std::string pattern = (std::filesystem::temp_directory_path() / "ha-probe-XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  const std::filesystem::path dir = pattern;
  const auto exe = dir / "exe", plain = dir / "plain", link = dir / "link";
  std::ofstream(exe) << "#!/bin/sh\n";
  std::ofstream(plain) << "data\n";
  ::chmod(exe.c_str(), 0755);
  ::chmod(plain.c_str(), 0644);
  std::filesystem::create_symlink(exe, link);
  const FileProbe& probe = systemFileProbe();
  EXPECT_EQ(probe.kind(exe), FileKind::kExecutable);
  EXPECT_EQ(probe.kind(link), FileKind::kExecutable);
  EXPECT_EQ(probe.kind(dir), FileKind::kNotRegular);
  EXPECT_EQ(probe.kind((dir / "missing").string()), FileKind::kMissing);
  EXPECT_EQ(probe.kind(plain), FileKind::kNotExecutable);  // even root needs an x bit
  const std::string sh = resolved("sh", probe);
  EXPECT_TRUE(sh == "/usr/bin/sh" || sh == "/bin/sh") << sh;
  std::filesystem::remove_all(dir);
}

// Plain words stay as they are; words with blanks, quotes, backslashes or nothing are quoted.
TEST(JoinCommandLine, QuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(joinCommandLine({"/usr/bin/check", "--port", "80"}), "/usr/bin/check --port 80");
  EXPECT_EQ(joinCommandLine({"/x", "a b", "", "it's", "c\\d"}),
            R"(/x 'a b' '' 'it\'s' 'c\\d')");
}

// splitCommandLine undoes joinCommandLine for any words, random bytes included.
TEST(JoinCommandLine, SplitUndoesJoin) {
  std::mt19937 rng(7);
  const std::string alphabet = std::string("ab \t'\"\\\n$x0\x01") + '\0';
  for (int round = 0; round < 2000; ++round) {
    Words words(1 + rng() % 4);
    for (auto& w : words) {
      const size_t n = rng() % 6;
      for (size_t i = 0; i < n; ++i) w += alphabet[rng() % alphabet.size()];
    }
    const std::string line = joinCommandLine(words);
    EXPECT_EQ(splitCommandLine(line), std::optional<Words>(words)) << line;
  }
}

}  // namespace
}  // namespace ha
