#include "common/program_path.h"

#include <sys/stat.h>
#include <unistd.h>

namespace ha {
namespace {

class SystemFileProbe final : public FileProbe {
 public:
  FileKind kind(const std::string& path) const override {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return FileKind::kMissing;
    if (!S_ISREG(st.st_mode)) return FileKind::kNotRegular;
    // directord runs scripts as root, for whom access(X_OK) needs an x bit in any of the three.
    return ::access(path.c_str(), X_OK) == 0 ? FileKind::kExecutable : FileKind::kNotExecutable;
  }
};

std::string why(const std::string& path, FileKind kind) {
  switch (kind) {
    case FileKind::kMissing: return path + ": no such file";
    case FileKind::kNotRegular: return path + ": not a regular file";
    case FileKind::kNotExecutable: return path + ": not executable";
    case FileKind::kExecutable: break;
  }
  return path;
}

bool needsQuotes(const std::string& word) {
  if (word.empty()) return true;
  for (char c : word) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == '\'' ||
        c == '"' || c == '\\') {
      return true;
    }
  }
  return false;
}

}  // namespace

const FileProbe& systemFileProbe() {
  static const SystemFileProbe probe;
  return probe;
}

Result<std::string> resolveProgram(std::string_view program, const FileProbe& files) {
  const std::string name(program);
  if (name.empty()) return Error{"empty program name"};
  if (name.front() == '/') {
    FileKind kind = files.kind(name);
    if (kind != FileKind::kExecutable) return Error{why(name, kind)};
    return name;
  }
  if (name.find('/') != std::string::npos) {
    // Relative to what? directord's working directory is nobody's business at run time.
    return Error{name + ": a relative path; write it absolute or as a bare name"};
  }
  std::string_view dirs = kScriptPath;
  while (!dirs.empty()) {
    const size_t colon = dirs.find(':');
    const std::string candidate = std::string(dirs.substr(0, colon)) + "/" + name;
    if (files.kind(candidate) == FileKind::kExecutable) return candidate;
    dirs = colon == std::string_view::npos ? std::string_view{} : dirs.substr(colon + 1);
  }
  return Error{name + ": not found in " + std::string(kScriptPath)};
}

std::string joinCommandLine(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& word : words) {
    if (!out.empty()) out += ' ';
    if (!needsQuotes(word)) {
      out += word;
      continue;
    }
    out += '\'';
    for (char c : word) {
      if (c == '\\' || c == '\'') out += '\\';
      out += c;
    }
    out += '\'';
  }
  return out;
}

}  // namespace ha
