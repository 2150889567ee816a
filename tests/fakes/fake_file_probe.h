#pragma once
// A filesystem as far as script resolution sees it (common/program_path.h): the test says which
// paths exist and what they are; everything else is missing.
#include <map>
#include <string>

#include "common/program_path.h"

namespace ha::test {

class FakeFileProbe final : public FileProbe {
 public:
  FakeFileProbe& add(const std::string& path, FileKind kind = FileKind::kExecutable) {
    files_[path] = kind;
    return *this;
  }
  FileKind kind(const std::string& path) const override {
    auto it = files_.find(path);
    return it == files_.end() ? FileKind::kMissing : it->second;
  }

 private:
  std::map<std::string, FileKind> files_;
};

}  // namespace ha::test
