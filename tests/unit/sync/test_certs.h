#pragma once
// A throwaway PKI for the gRPC transport tests, made with the OpenSSL C API: a CA and node
// certificates (CN and DNS SAN = the node name) as PEM files in a temporary directory.
#include <string>

namespace ha::sync::test {

struct CertFiles {
  std::string cert;
  std::string key;
};

// mkdtemp under $TMPDIR (or /tmp); removed with everything in it by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class TestCa {
 public:
  // Writes <dir>/<label>-ca.pem; keys are EC P-256.
  TestCa(const std::string& dir, const std::string& label);
  ~TestCa();
  TestCa(const TestCa&) = delete;
  TestCa& operator=(const TestCa&) = delete;

  const std::string& caFile() const { return caFile_; }
  // A certificate for `name` (CN and DNS SAN), valid for client and server use.
  CertFiles issue(const std::string& name);

 private:
  struct Keys;
  std::string dir_;
  std::string label_;
  std::string caFile_;
  Keys* keys_;
  long serial_ = 1;
};

}  // namespace ha::sync::test
