#pragma once
// Where a script's program lives, decided once when the config is loaded: an absolute path as
// written, or a bare name looked up in the fixed kScriptPath, never in directord's own PATH
// (whoever started directord chose that one). keepalived 2.2.7 resolves at load too (lib/notify.c
// check_script_secure, find_path), but searches its inherited PATH and disables what it cannot
// find; directord refuses the config instead (director/config/README.md).
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace ha {

// The PATH every script sees and bare names are resolved in: a daemon's usual one.
inline constexpr std::string_view kScriptPath = "/usr/sbin:/usr/bin:/sbin:/bin";

enum class FileKind { kMissing, kNotRegular, kNotExecutable, kExecutable };

// The one filesystem question resolution asks (a port: docs/style.md §3). systemFileProbe() asks
// the kernel (stat(2), following symlinks, and access(X_OK)); tests use
// tests/fakes/fake_file_probe.h.
class FileProbe {
 public:
  virtual ~FileProbe() = default;
  virtual FileKind kind(const std::string& path) const = 0;
};
const FileProbe& systemFileProbe();

// The absolute path `program` (a command line's first word) runs as, or why it cannot run:
// "/x: no such file", "/x: not a regular file", "/x: not executable", "x: not found in
// /usr/sbin:/usr/bin:/sbin:/bin", "x/y: a relative path; write it absolute or as a bare name".
Result<std::string> resolveProgram(std::string_view program, const FileProbe& files);

// The inverse of splitCommandLine (common/child_process.h): words that need it are single-quoted
// with \ and ' escaped, so splitCommandLine(joinCommandLine(w)) == w for any words.
std::string joinCommandLine(const std::vector<std::string>& words);

}  // namespace ha
