#pragma once
// Helpers for the config tests: load text, find a diagnostic by file:line and text, temp trees.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "director/config/config_loader.h"
#include "tests/fakes/fake_file_probe.h"

namespace ha::director::testing {

inline constexpr const char* kTestFile = "test.conf";

inline std::string dataPath(const std::string& relative) {
  return std::string(HA_TEST_DATA_DIR) + "/config/" + relative;
}

// The programs the config tests and tests/unit/data/config name, as executables: scripts are
// resolved at load (director/config/script_paths.h), and these tests are about everything else.
// script_paths_test.cc builds its own filesystems.
inline const FileProbe& testScripts() {
  static const test::FakeFileProbe files = [] {
    test::FakeFileProbe f;
    for (const char* path :
         {"/bin/true", "/usr/bin/true", "/bin/check", "/usr/bin/check", "/bin/a", "/bin/b",
          "/bin/x", "/bin/up", "/bin/up2", "/bin/down", "/usr/bin/pgrep", "/usr/bin/ping",
          "/etc/ha/notify.sh", "/etc/ha/backup.sh", "/etc/ha/notify-any.sh", "/etc/ha/group.sh",
          "/etc/ha/group-any.sh", "/usr/local/bin/vip", "/usr/local/bin/quorum.sh",
          "/usr/local/bin/notify.sh", "/usr/local/bin/check.sh", "/usr/local/bin/other_check.sh",
          "/etc/keepalived/notify.sh"}) {
      f.add(path);
    }
    return f;
  }();
  return files;
}

inline LoadResult load(std::string_view text) {
  return loadConfigText(text, kTestFile, testScripts());
}
inline LoadResult loadFile(const std::string& path) { return loadConfigFile(path, testScripts()); }

inline std::string dump(const LoadResult& r) {
  std::string out;
  for (const auto& d : r.diagnostics) out += "  " + d.str() + "\n";
  return out.empty() ? "  (no diagnostics)\n" : out;
}

inline ::testing::AssertionResult hasDiagnostic(const LoadResult& r, Diagnostic::Severity severity,
                                                const std::string& file, int line,
                                                std::string_view text) {
  for (const auto& d : r.diagnostics) {
    if (d.severity == severity && d.where.file == file && d.where.line == line &&
        d.message.find(text) != std::string::npos) {
      return ::testing::AssertionSuccess();
    }
  }
  return ::testing::AssertionFailure()
         << "no " << (severity == Diagnostic::Severity::kError ? "error" : "warning") << " at "
         << file << ":" << line << " containing \"" << text << "\"; got:\n"
         << dump(r);
}

inline ::testing::AssertionResult hasError(const LoadResult& r, int line, std::string_view text,
                                           const std::string& file = kTestFile) {
  return hasDiagnostic(r, Diagnostic::Severity::kError, file, line, text);
}

inline ::testing::AssertionResult hasWarning(const LoadResult& r, int line, std::string_view text,
                                             const std::string& file = kTestFile) {
  return hasDiagnostic(r, Diagnostic::Severity::kWarning, file, line, text);
}

// Errors and warnings: notes (defaults applied, as keepalived logs them at info level) are not
// problems.
inline size_t problemCount(const LoadResult& r) {
  return static_cast<size_t>(
      std::count_if(r.diagnostics.begin(), r.diagnostics.end(),
                    [](const Diagnostic& d) { return d.severity != Diagnostic::Severity::kNote; }));
}

// Notes (defaults applied, as keepalived logs them at info level) do not count.
inline ::testing::AssertionResult isClean(const LoadResult& r) {
  if (std::all_of(r.diagnostics.begin(), r.diagnostics.end(),
                  [](const Diagnostic& d) { return d.severity == Diagnostic::Severity::kNote; })) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "expected no diagnostics; got:\n" << dump(r);
}

inline ::testing::AssertionResult hasNoErrors(const LoadResult& r) {
  if (!r.hasErrors()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "expected no errors; got:\n" << dump(r);
}

// A unique directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "directord-config-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& relative) const { return (path_ / relative).string(); }
  std::string write(const std::string& relative, std::string_view content) const {
    auto full = path_ / relative;
    std::filesystem::create_directories(full.parent_path());
    std::ofstream(full, std::ios::binary) << content;
    return full.string();
  }

 private:
  std::filesystem::path path_;
};

}  // namespace ha::director::testing
