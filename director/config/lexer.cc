#include "director/config/lexer.h"

#include <cstdio>
#include <utility>

namespace ha::director::config {
namespace {

bool isBlank(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

bool isControl(unsigned char c) { return c < 0x20 || c == 0x7f; }

std::string controlByteMessage(unsigned char c) {
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned>(c));
  return std::string("unexpected control byte ") + hex + "; rest of the line skipped";
}

}  // namespace

Lexer::Lexer(LineSource& lines, std::string file, DiagnosticSink& sink)
    : lines_(lines), file_(std::move(file)), sink_(sink) {}

const Token& Lexer::peek(size_t ahead) {
  while (buffer_.size() <= ahead && lexLine()) {
  }
  if (buffer_.size() <= ahead) {
    end_ = Token{Token::Kind::kEnd, "", line_};
    return end_;
  }
  return buffer_[ahead];
}

Token Lexer::next() {
  Token t = peek();
  if (!buffer_.empty()) buffer_.pop_front();
  return t;
}

bool Lexer::lexLine() {
  LogicalLine line;
  if (!lines_.next(line)) return false;
  line_ = line.line;
  size_t before = buffer_.size();
  lexChars(line.text);
  if (buffer_.size() > before) buffer_.push_back(Token{Token::Kind::kNewline, "", line_});
  return true;
}

void Lexer::lexChars(std::string_view line) {
  std::string word;
  bool inWord = false;  // separate from word.empty(): `""` is a word
  bool quoted = false;
  auto flush = [&] {
    if (inWord) buffer_.push_back(Token{Token::Kind::kWord, std::move(word), line_});
    word.clear();
    inWord = false;
  };
  for (size_t i = 0; i < line.size(); ++i) {
    auto c = static_cast<unsigned char>(line[i]);
    if (isControl(c) && !isBlank(c)) {
      sink_.error(here(), controlByteMessage(c));
      return;
    }
    if (quoted) {
      if (c == '\\' && i + 1 < line.size() && (line[i + 1] == '"' || line[i + 1] == '\\')) {
        word += line[++i];
      } else if (c == '"') {
        quoted = false;
      } else {
        word += line[i];
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
      inWord = true;
    } else if (isBlank(c)) {
      flush();
    } else if (c == '{' || c == '}') {
      flush();
      buffer_.push_back(Token{c == '{' ? Token::Kind::kOpen : Token::Kind::kClose, "", line_});
    } else if ((c == '#' || c == '!') && !inWord) {
      return;  // keepalived's comment characters, where a word would start
    } else {
      word += line[i];
      inWord = true;
    }
  }
  if (quoted) {
    sink_.error(here(), "unterminated quoted string");
    return;
  }
  flush();
}

}  // namespace ha::director::config
