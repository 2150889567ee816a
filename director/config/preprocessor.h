#pragma once
// keepalived's line language, between a file's text and the lexer (keepalived 2.2.7 read_line):
// `@ID` / `@^ID` conditional lines, `$NAME=VALUE` definitions and their substitution, `~SEQ` /
// `~LST` repetition. As in keepalived, text after a `{` or `}` is read as a line of its own, so
// all of these work there too. Each file gets a FilePreprocessor; what they share (definitions,
// the config id, the expansion budget) is one ConfigLanguage per load.
#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "director/config/definitions.h"
#include "director/config/diagnostic_sink.h"
#include "director/config/repeat_spec.h"

namespace ha::director::config {

struct LogicalLine {
  std::string text;
  int line = 0;  // lines an expansion produces carry the line that started it (keepalived)
};

// What the lexer reads its lines from.
class LineSource {
 public:
  virtual ~LineSource() = default;
  virtual bool next(LogicalLine& out) = 0;  // false at the end
};

class ConfigLanguage {
 public:
  // `configId` selects `@ID` lines (directord -i); empty: only `@^ID` lines apply.
  ConfigLanguage(std::string configId, DiagnosticSink& sink);

  const std::string& configId() const { return configId_; }
  DefinitionTable& definitions() { return definitions_; }
  DiagnosticSink& sink() { return sink_; }

  // A hard limit was passed: every file ends at once and the tree is truncated.
  bool stopped() const { return stopped_; }
  // Text and lines that expansions produce, all files together; false once a limit is passed.
  bool spendBytes(size_t n, const std::string& file, int line);
  bool spendLine(const std::string& file, int line);
  size_t bytesLeft() const;

  // keepalived drops an `@ID` line that opens or closes a block, not the block: the brace errors
  // that follow name that line.
  void noteSkippedBrace(const SourceLocation& where, std::string_view condition);
  std::string skippedBraceHint() const;

  // Ends the load at a hard limit: an error naming it, then every file ends.
  void stop(const SourceLocation& where, std::string message);

 private:
  std::string configId_;
  DiagnosticSink& sink_;
  DefinitionTable definitions_;
  size_t bytes_ = 0;
  size_t lines_ = 0;
  bool stopped_ = false;
  std::optional<std::pair<SourceLocation, std::string>> skippedBrace_;
};

class FilePreprocessor : public LineSource {
 public:
  FilePreprocessor(std::string_view text, std::string file, ConfigLanguage& language);
  bool next(LogicalLine& out) override;

 private:
  // Lines still to come from a multi-line definition or a ~SEQ / ~LST; the top one is read first.
  struct Expansion {
    std::string label;       // "$NAME" or "~SEQ(i)", for messages
    std::string definition;  // the multi-line definition's name; empty for ~SEQ / ~LST
    std::shared_ptr<const std::vector<std::string>> lines;
    std::optional<RepeatSpec> repeat;
    uint64_t next = 0;
    bool exhausted() const;
  };
  struct RawLine {
    std::string text;
    bool endsDefinition = false;  // an empty line (keepalived ends a multi-line definition there)
  };
  struct PendingDefinition {
    std::string name;
    std::vector<std::string> lines;
    SourceLocation where;
  };

  bool nextRaw(RawLine& raw);
  std::string takeLine(Expansion& e);
  void continueDefinition(const RawLine& raw);
  void finishDefinition();
  // One line: conditions, definitions, ~SEQ / ~LST, substitution; returns the text after its
  // first brace, to be read as the next line.
  std::optional<std::string> process(std::string line);
  bool applyCondition(std::string& line);
  void startRepeat(const std::string& line);
  bool push(Expansion e);
  bool expanding(std::string_view definition) const;
  SourceLocation here() const { return {file_, line_}; }

  std::string_view text_;
  std::string file_;
  std::string pwd_;
  ConfigLanguage& lang_;
  size_t pos_ = 0;
  int line_ = 0;
  std::vector<Expansion> stack_;
  std::optional<PendingDefinition> continuing_;
  std::deque<std::string> ready_;
};

// keepalived.conf comments (`#` or `!` where a word would start, outside quotes) and the blanks
// around the text, removed.
std::string stripComment(std::string_view line);

}  // namespace ha::director::config
