#pragma once
// keepalived.conf tokens: words split by whitespace, `{` and `}` standalone even when glued to a
// word, `#`/`!` comments where a word would start, double-quoted words with \" and \\ escapes.
// Tokens are produced lazily so a huge file never becomes a huge token vector. Lines come from
// a LineSource: the preprocessor (preprocessor.h) has already applied keepalived's conditions,
// definitions and repetitions.
#include <cstddef>
#include <deque>
#include <string>
#include <string_view>

#include "director/config/diagnostic_sink.h"
#include "director/config/preprocessor.h"

namespace ha::director::config {

struct Token {
  enum class Kind : uint8_t { kWord, kOpen, kClose, kNewline, kEnd };
  Kind kind = Kind::kEnd;
  std::string text;
  int line = 0;
};

class Lexer {
 public:
  Lexer(LineSource& lines, std::string file, DiagnosticSink& sink);
  // Blank and comment-only lines yield nothing, so runs of line ends collapse to one kNewline.
  const Token& peek(size_t ahead = 0);
  Token next();
  const std::string& file() const { return file_; }

 private:
  bool lexLine();  // appends the next line's tokens; false at the end of the lines
  void lexChars(std::string_view line);
  SourceLocation here() const { return {file_, line_}; }

  LineSource& lines_;
  std::string file_;
  DiagnosticSink& sink_;
  int line_ = 0;
  std::deque<Token> buffer_;
  Token end_;
};

}  // namespace ha::director::config
