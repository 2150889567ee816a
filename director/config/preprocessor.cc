#include "director/config/preprocessor.h"

#include <filesystem>
#include <utility>

#include "director/config/config_tree.h"

namespace ha::director::config {
namespace {

bool isBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

// Calls `visit(i)` for each character outside double quotes (the lexer's quoting: a backslash
// escapes a quote or a backslash inside them).
template <typename Visit>
void forEachUnquoted(std::string_view line, Visit visit) {
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '\\' && i + 1 < line.size() && (line[i + 1] == '"' || line[i + 1] == '\\')) {
        ++i;
      } else if (c == '"') {
        quoted = false;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
      continue;
    }
    if (!visit(i)) return;
  }
}

size_t firstBrace(std::string_view line) {
  size_t at = std::string_view::npos;
  forEachUnquoted(line, [&](size_t i) {
    if (line[i] != '{' && line[i] != '}') return true;
    at = i;
    return false;
  });
  return at;
}

int braceBalance(std::string_view line) {
  if (line.find('{') == std::string_view::npos && line.find('}') == std::string_view::npos) {
    return 0;
  }
  int balance = 0;
  forEachUnquoted(line, [&](size_t i) {
    if (line[i] == '{') ++balance;
    if (line[i] == '}') --balance;
    return true;
  });
  return balance;
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && isBlank(text.front())) text.remove_prefix(1);
  while (!text.empty() && isBlank(text.back())) text.remove_suffix(1);
  return text;
}

}  // namespace

std::string stripComment(std::string_view line) {
  if (line.find('#') == std::string_view::npos && line.find('!') == std::string_view::npos) {
    return std::string(trimmed(line));  // most lines: no per-character pass
  }
  size_t cut = line.size();
  forEachUnquoted(line, [&](size_t i) {
    bool wordStart = i == 0 || isBlank(line[i - 1]) || line[i - 1] == '{' || line[i - 1] == '}';
    if ((line[i] != '#' && line[i] != '!') || !wordStart) return true;
    cut = i;
    return false;
  });
  return std::string(trimmed(line.substr(0, cut)));
}

ConfigLanguage::ConfigLanguage(std::string configId, DiagnosticSink& sink)
    : configId_(std::move(configId)), sink_(sink), definitions_(configId_) {}

size_t ConfigLanguage::bytesLeft() const { return kMaxExpandedBytes - bytes_; }

bool ConfigLanguage::spendBytes(size_t n, const std::string& file, int line) {
  if (stopped_) return false;
  if (n > bytesLeft()) {
    stop({file, line},
         "parameter substitution and ~SEQ/~LST/multi-line expansion would write more than " +
             std::to_string(kMaxExpandedBytes) + " bytes");
    return false;
  }
  bytes_ += n;
  return true;
}

bool ConfigLanguage::spendLine(const std::string& file, int line) {
  if (stopped_) return false;
  if (++lines_ > kMaxExpandedLines) {
    stop({file, line}, "~SEQ, ~LST and multi-line definitions produced more than " +
                           std::to_string(kMaxExpandedLines) + " lines");
    return false;
  }
  return true;
}

void ConfigLanguage::stop(const SourceLocation& where, std::string message) {
  sink_.error(where, std::move(message) + "; stopped reading the config");
  stopped_ = true;
}

void ConfigLanguage::noteSkippedBrace(const SourceLocation& where, std::string_view condition) {
  skippedBrace_.emplace(where, std::string(condition));
}

std::string ConfigLanguage::skippedBraceHint() const {
  if (!skippedBrace_) return {};
  return " (the '" + skippedBrace_->second + "' line at " + skippedBrace_->first.str() +
         " was skipped with its brace: as in keepalived, an @ID line is skipped alone, not the "
         "block it opens; put the @ID on every line of the block)";
}

bool FilePreprocessor::Expansion::exhausted() const {
  return repeat ? next >= repeat->count : next >= lines->size();
}

FilePreprocessor::FilePreprocessor(std::string_view text, std::string file,
                                   ConfigLanguage& language)
    : text_(text), file_(std::move(file)), lang_(language) {
  std::error_code ec;
  auto absolute = std::filesystem::absolute(file_, ec);
  pwd_ = ec ? std::string(".") : absolute.parent_path().string();
}

bool FilePreprocessor::next(LogicalLine& out) {
  while (ready_.empty()) {
    if (lang_.stopped()) return false;
    RawLine raw;
    if (!nextRaw(raw)) {
      if (continuing_ && !lang_.stopped()) {
        lang_.sink().error(continuing_->where,
                           "definition of $" + continuing_->name +
                               " is not terminated: the file ends after a line ending in '\\'");
        finishDefinition();
      }
      return false;
    }
    if (continuing_) {
      continueDefinition(raw);
      continue;
    }
    for (std::optional<std::string> line = std::move(raw.text); line && !line->empty();) {
      line = process(std::move(*line));
    }
  }
  out = LogicalLine{std::move(ready_.front()), line_};
  ready_.pop_front();
  return true;
}

bool FilePreprocessor::nextRaw(RawLine& raw) {
  // An expansion stays on the stack while its last line is processed, so using it there again
  // is seen as recursion.
  while (!stack_.empty() && stack_.back().exhausted()) stack_.pop_back();
  if (!stack_.empty()) {
    raw.text = takeLine(stack_.back());
    raw.endsDefinition = raw.text.empty();
    return lang_.spendLine(file_, line_) && lang_.spendBytes(raw.text.size(), file_, line_);
  }
  while (pos_ < text_.size()) {
    ++line_;
    size_t eol = text_.find('\n', pos_);
    size_t end = eol == std::string_view::npos ? text_.size() : eol;
    std::string_view line = text_.substr(pos_, end - pos_);
    pos_ = eol == std::string_view::npos ? text_.size() : eol + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > kMaxLineBytes) {
      lang_.sink().error(
          here(), "line is longer than " + std::to_string(kMaxLineBytes) + " bytes; skipped");
      continue;
    }
    if (line.empty()) {
      raw = RawLine{"", true};
      return true;
    }
    raw.text = stripComment(line);
    if (!raw.text.empty()) return true;  // a blank or comment line does not end a definition
  }
  return false;
}

std::string FilePreprocessor::takeLine(Expansion& e) {
  if (!e.repeat) return (*e.lines)[e.next++];
  auto values = e.repeat->valuesAt(e.next++);
  for (size_t i = 0; i < values.size(); ++i) {
    lang_.definitions().setVariable(e.repeat->vars[i], std::move(values[i]));
  }
  return e.repeat->text;
}

// keepalived: each line ending in `\` continues the definition; the first line without one is
// its last, and an empty line ends it too. A line that is only `\` adds nothing.
void FilePreprocessor::continueDefinition(const RawLine& raw) {
  if (raw.endsDefinition) {
    finishDefinition();
    return;
  }
  std::string_view text = raw.text;
  bool more = !text.empty() && text.back() == '\\';
  if (more) text = trimmed(text.substr(0, text.size() - 1));
  if (!text.empty()) continuing_->lines.emplace_back(text);
  if (!more) finishDefinition();
}

void FilePreprocessor::finishDefinition() {
  lang_.definitions().define(continuing_->name, std::move(continuing_->lines), true);
  continuing_.reset();
}

std::optional<std::string> FilePreprocessor::process(std::string line) {
  auto& defs = lang_.definitions();
  // Substituted text may start a condition, a definition or a ~SEQ; a few rounds settle it
  // (one in practice: a round only follows a change).
  for (int round = 0; round < 4; ++round) {
    if (line.front() == '@' && (!applyCondition(line) || line.empty())) return std::nullopt;
    if (line.front() == '$') {
      if (auto def = parseDefinitionLine(line)) {
        if (def->continued) {
          continuing_.emplace(PendingDefinition{def->name, {}, here()});
          if (!def->value.empty()) continuing_->lines.push_back(std::move(def->value));
        } else {
          defs.define(def->name, {std::move(def->value)}, false);
        }
        return std::nullopt;
      }
    }
    if (line.starts_with("~SEQ") || line.starts_with("~LST")) {
      startRepeat(line);
      return std::nullopt;
    }
    if (line.front() == '~') {
      lang_.sink().error(here(), "'" + line.substr(0, line.find_first_of(" \t")) +
                                     "': keepalived's repetitions are ~SEQ, ~SEQx and ~LST; "
                                     "line skipped");
      return std::nullopt;
    }
    if (line.find('$') == std::string::npos) break;
    auto s = defs.substitute(
        line, pwd_, [this](std::string_view name) { return expanding(name); }, lang_.bytesLeft());
    if (!lang_.spendBytes(s.bytesWritten, file_, line_)) return std::nullopt;
    if (round == 0) {
      for (const auto& w : s.warnings) lang_.sink().warning(here(), w);
    }
    if (!s.error.empty()) {
      lang_.sink().error(here(), s.error + "; line skipped");
      return std::nullopt;
    }
    if (!s.changed) break;
    for (auto& rest : s.rests) {
      Expansion e{"$" + rest.name, rest.name, std::move(rest.lines), std::nullopt, rest.next};
      if (!push(std::move(e))) return std::nullopt;
    }
    line = stripComment(s.text);
    if (line.empty()) return std::nullopt;
  }
  // keepalived: a brace ends the line; what follows it is read as the next line.
  size_t brace = firstBrace(line);
  if (brace == std::string::npos) {
    ready_.push_back(std::move(line));
    return std::nullopt;
  }
  if (brace == 0) {
    ready_.push_back(line.substr(0, 1));
    std::string after(trimmed(std::string_view(line).substr(1)));
    return after.empty() ? std::nullopt : std::optional<std::string>(std::move(after));
  }
  ready_.emplace_back(trimmed(std::string_view(line).substr(0, brace)));
  return line.substr(brace);
}

// `@ID TEXT` applies when ID is the config id, `@^ID TEXT` when it is not (keepalived).
bool FilePreprocessor::applyCondition(std::string& line) {
  bool negated = line.size() > 1 && line[1] == '^';
  size_t idStart = negated ? 2 : 1;
  size_t blank = line.find_first_of(" \t", idStart);
  if (blank == std::string::npos) {
    lang_.sink().warning(here(), "'" + line + "' has nothing after the config id; line ignored");
    return false;
  }
  std::string_view id = std::string_view(line).substr(idStart, blank - idStart);
  if (id.empty()) {
    lang_.sink().warning(here(), "'" + line.substr(0, idStart) +
                                     "' is followed by a blank: the config id follows '@' "
                                     "without one");
  }
  if ((id == lang_.configId()) == negated) {
    if (braceBalance(line) != 0) lang_.noteSkippedBrace(here(), line.substr(0, blank));
    return false;
  }
  size_t text = line.find_first_not_of(" \t", blank);
  line.erase(0, text == std::string::npos ? line.size() : text);
  return true;
}

void FilePreprocessor::startRepeat(const std::string& line) {
  std::string problem;
  auto substituteNumbers = [&](std::string_view numbers) {
    auto s = lang_.definitions().substitute(
        numbers, pwd_, [this](std::string_view name) { return expanding(name); },
        lang_.bytesLeft());
    if (!lang_.spendBytes(s.bytesWritten, file_, line_)) problem = "stopped";
    if (!s.rests.empty()) problem = "a multi-line definition in ~SEQ's numbers";
    if (!s.error.empty()) problem = s.error;
    return s.text;
  };
  auto parsed = parseRepeat(line, substituteNumbers, kMaxExpandedLines);
  if (lang_.stopped()) return;
  if (!problem.empty()) {
    lang_.sink().error(here(), "'" + line + "': " + problem + "; line skipped");
    return;
  }
  if (!parsed.spec) {
    lang_.sink().error(here(), parsed.error + "; line skipped");
    return;
  }
  std::string label = parsed.spec->label();
  push(Expansion{std::move(label), {}, nullptr, std::move(parsed.spec), 0});
}

bool FilePreprocessor::push(Expansion e) {
  if (stack_.size() >= kMaxExpansionDepth) {
    std::string chain;
    for (const auto& open : stack_) chain += open.label + " -> ";
    // Only a definition that uses itself nests this deep; its repetitions would go on and on.
    lang_.stop(here(), "~SEQ, ~LST and multi-line definitions nested deeper than " +
                           std::to_string(kMaxExpansionDepth) + " levels: " + chain + e.label);
    return false;
  }
  stack_.push_back(std::move(e));
  return true;
}

bool FilePreprocessor::expanding(std::string_view definition) const {
  for (const auto& e : stack_) {
    if (e.definition == definition) return true;
  }
  return false;
}

}  // namespace ha::director::config
