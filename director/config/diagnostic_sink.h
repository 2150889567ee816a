#pragma once
// Collects diagnostics for every pass of the loader. Capped, so hostile input (a megabyte of
// random bytes) yields a bounded report instead of one error per token.
#include <cstddef>
#include <string>
#include <vector>

#include "director/config/config_model.h"

namespace ha::director::config {

inline constexpr size_t kMaxDiagnostics = 1000;

class DiagnosticSink {
 public:
  void error(const SourceLocation& where, std::string message);
  void warning(const SourceLocation& where, std::string message);
  void note(const SourceLocation& where, std::string message);  // info: a default applied
  size_t errorCount() const { return errors_; }
  // Appends a summary of what the cap dropped, then hands the list over.
  std::vector<Diagnostic> take();

 private:
  void add(Diagnostic::Severity severity, const SourceLocation& where, std::string message);

  std::vector<Diagnostic> diagnostics_;
  size_t errors_ = 0;
  size_t problems_ = 0;  // errors and warnings kept (the cap's count)
  size_t dropped_ = 0;
  size_t droppedErrors_ = 0;
  SourceLocation lastDropped_;
};

}  // namespace ha::director::config
