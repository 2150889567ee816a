#include "director/config/diagnostic_sink.h"

#include <utility>

namespace ha::director::config {

void DiagnosticSink::error(const SourceLocation& where, std::string message) {
  ++errors_;
  add(Diagnostic::Severity::kError, where, std::move(message));
}

void DiagnosticSink::warning(const SourceLocation& where, std::string message) {
  add(Diagnostic::Severity::kWarning, where, std::move(message));
}

void DiagnosticSink::note(const SourceLocation& where, std::string message) {
  add(Diagnostic::Severity::kNote, where, std::move(message));
}

void DiagnosticSink::add(Diagnostic::Severity severity, const SourceLocation& where,
                         std::string message) {
  // Notes are given once each (a default applied), so they never crowd out the problems.
  const bool note = severity == Diagnostic::Severity::kNote;
  if (!note && problems_ >= kMaxDiagnostics) {
    ++dropped_;
    if (severity == Diagnostic::Severity::kError) ++droppedErrors_;
    lastDropped_ = where;
    return;
  }
  if (!note) ++problems_;
  diagnostics_.push_back(Diagnostic{severity, where, std::move(message)});
}

std::vector<Diagnostic> DiagnosticSink::take() {
  if (dropped_ > 0) {
    // Keeps hasErrors() true when only the cap saw the errors.
    auto severity =
        droppedErrors_ > 0 ? Diagnostic::Severity::kError : Diagnostic::Severity::kWarning;
    diagnostics_.push_back(Diagnostic{severity, lastDropped_,
                                      std::to_string(dropped_) + " more diagnostics not shown"});
    dropped_ = droppedErrors_ = 0;
  }
  problems_ = 0;
  return std::exchange(diagnostics_, {});
}

}  // namespace ha::director::config
