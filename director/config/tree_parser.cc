#include "director/config/tree_parser.h"

#include <dirent.h>
#include <glob.h>
#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <utility>
#include <vector>

#include "director/config/lexer.h"
#include "director/config/preprocessor.h"

namespace ha::director::config {
namespace {

namespace fs = std::filesystem;
using Kind = Token::Kind;

bool hasGlobChars(std::string_view pattern) {
  return pattern.find_first_of("*?[") != std::string_view::npos;
}

// keepalived's variants (keepalived.conf(5)): includer and includeb check what a plain include
// already checks here (an unreadable or missing named file is an error); includem, includew and
// includea also refuse a pattern that matches nothing.
bool isInclude(std::string_view keyword) {
  return keyword == "include" ||
         (keyword.size() == 8 && keyword.starts_with("include") &&
          std::string_view("rmwba").find(keyword[7]) != std::string_view::npos);
}

bool mustMatch(std::string_view keyword) {
  return keyword == "includem" || keyword == "includew" || keyword == "includea";
}

// glob(3) with GLOB_ALTDIRFUNC reads directories through these, so every entry it reads is
// counted against the parser's budget; once spent, directories look empty and glob ends soon.
// glob passes no context to them, hence the thread_local (set only around one glob call).
struct GlobBudget {
  size_t left = 0;
  bool spent = false;
};
thread_local GlobBudget* tGlobBudget = nullptr;

void* globOpenDir(const char* path) { return ::opendir(path); }
void globCloseDir(void* dir) { ::closedir(static_cast<DIR*>(dir)); }
struct dirent* globReadDir(void* dir) {
  if (tGlobBudget != nullptr) {
    if (tGlobBudget->left == 0) {
      tGlobBudget->spent = true;
      return nullptr;
    }
    --tGlobBudget->left;
  }
  return ::readdir(static_cast<DIR*>(dir));
}
int globLstat(const char* path, struct stat* st) { return ::lstat(path, st); }
int globStat(const char* path, struct stat* st) { return ::stat(path, st); }

// Matches of `pattern`, sorted; rc as glob(3) returns it, or GLOB_ABORTED with `budget.spent`.
int boundedGlob(const std::string& pattern, GlobBudget& budget, std::vector<std::string>& paths) {
  glob_t matches{};
  matches.gl_opendir = globOpenDir;
  matches.gl_readdir = globReadDir;
  matches.gl_closedir = globCloseDir;
  matches.gl_lstat = globLstat;
  matches.gl_stat = globStat;
  tGlobBudget = &budget;
  int rc = ::glob(pattern.c_str(), GLOB_ALTDIRFUNC, nullptr, &matches);
  tGlobBudget = nullptr;
  if (rc == 0 && !budget.spent) {
    paths.assign(matches.gl_pathv, matches.gl_pathv + matches.gl_pathc);
  }
  globfree(&matches);
  return budget.spent ? GLOB_ABORTED : rc;
}

class TreeParser {
 public:
  TreeParser(DiagnosticSink& sink, std::string_view configId)
      : sink_(sink), language_(std::string(configId), sink) {}

  ConfigTree parseTop(std::string_view text, const std::string& fileName) {
    ConfigTree tree;
    if (text.size() > kMaxConfigBytes) {
      sink_.error({fileName, 0},
                  "file is larger than " + std::to_string(kMaxConfigBytes) + " bytes");
      return tree;
    }
    bytesRead_ = text.size();
    std::error_code ec;
    chain_.push_back(Frame{fileName, fs::weakly_canonical(fileName, ec)});
    parseText(text, fileName, 0, tree.roots);
    chain_.clear();
    tree.truncated = truncated_;
    return tree;
  }

  ConfigTree parseTopFile(const std::string& path) {
    std::string text;
    if (!readFile(path, {path, 0}, text)) return {};
    return parseTop(text, path);
  }

 private:
  struct Frame {
    std::string shown;
    fs::path canonical;
  };

  void parseText(std::string_view text, const std::string& file, int depth,
                 std::vector<Node>& out) {
    FilePreprocessor lines(text, file, language_);
    Lexer lex(lines, file, sink_);
    parseStatements(lex, depth, out, nullptr);
  }

  // Reads statements into `out` until the `}` closing `open`, or the end of the file when `open`
  // is null: every file must balance its own braces, even when included inside a block.
  void parseStatements(Lexer& lex, int depth, std::vector<Node>& out, const Node* open) {
    while (!truncated_) {
      while (lex.peek().kind == Kind::kNewline) lex.next();
      Token t = lex.next();
      SourceLocation where{lex.file(), t.line};
      switch (t.kind) {
        case Kind::kEnd:
          if (language_.stopped()) {
            truncated_ = true;  // a limit of the preprocessor ended the lines
            return;
          }
          if (open != nullptr) unclosed(*open);
          return;
        case Kind::kClose:
          if (open != nullptr) return;
          sink_.error(where,
                      "unbalanced braces: '}' closes no block" + language_.skippedBraceHint());
          continue;
        case Kind::kOpen: {
          sink_.error(where, "'{' without a keyword before it");
          Node anonymous{"{", {}, {}, where, true};
          parseBlock(lex, depth, anonymous);  // consumed to keep the braces in step, then dropped
          continue;
        }
        case Kind::kNewline:
        case Kind::kWord:
          break;
      }
      Node node{std::move(t.text), {}, {}, where, false};
      while (lex.peek().kind == Kind::kWord) node.args.push_back(lex.next().text);
      if (!countNode(node)) return;
      // keepalived lets the `{` sit at the end of the line or alone on the next one.
      if (lex.peek().kind == Kind::kNewline && lex.peek(1).kind == Kind::kOpen) lex.next();
      if (lex.peek().kind == Kind::kOpen) {
        lex.next();
        node.hasBlock = true;
        parseBlock(lex, depth, node);
      }
      if (isInclude(node.keyword)) {
        if (node.hasBlock) {
          sink_.error(where, node.keyword + " takes no block");
        } else {
          include(node, depth, out);
        }
        continue;
      }
      out.push_back(std::move(node));
    }
  }

  void parseBlock(Lexer& lex, int depth, Node& node) {
    if (depth + 1 > kMaxBlockDepth) {
      sink_.error(node.where, "blocks nested deeper than " + std::to_string(kMaxBlockDepth) +
                                  " levels; block '" + node.keyword + "' skipped");
      skipBlock(lex, node);
      return;
    }
    parseStatements(lex, depth + 1, node.children, &node);
  }

  // Iterative, so a million `{` cannot exhaust the stack.
  void skipBlock(Lexer& lex, const Node& node) {
    for (size_t level = 1; level > 0;) {
      Token t = lex.next();
      if (t.kind == Kind::kEnd) {
        unclosed(node);
        return;
      }
      if (t.kind == Kind::kOpen) ++level;
      if (t.kind == Kind::kClose) --level;
    }
  }

  void unclosed(const Node& node) {
    sink_.error(node.where, "unbalanced braces: block '" + node.keyword + "' is never closed" +
                                language_.skippedBraceHint());
  }

  bool countNode(const Node& node) {
    treeBytes_ += sizeof(Node) + node.keyword.size() + node.where.file.size();
    for (const auto& arg : node.args) treeBytes_ += sizeof(std::string) + arg.size();
    if (++nodes_ > kMaxNodes) {
      sink_.error(node.where, "more than " + std::to_string(kMaxNodes) +
                                  " statements; stopped reading the config");
    } else if (treeBytes_ > kMaxTreeBytes) {
      sink_.error(node.where, "the statements read so far take more than " +
                                  std::to_string(kMaxTreeBytes) +
                                  " bytes of memory; stopped reading the config");
    } else {
      return true;
    }
    truncated_ = true;
    return false;
  }

  void include(const Node& node, int depth, std::vector<Node>& out) {
    if (node.args.size() != 1) {
      sink_.error(node.where, node.keyword + " needs exactly one file name or glob pattern");
      return;
    }
    fs::path pattern(node.args[0]);
    if (pattern.is_relative()) pattern = fs::path(node.where.file).parent_path() / pattern;
    if (chain_.size() > kMaxIncludeDepth) {
      sink_.error(node.where, "includes nested deeper than " + std::to_string(kMaxIncludeDepth) +
                                  " levels: " + chainText(pattern.string()));
      return;
    }
    std::vector<std::string> paths;
    int rc = boundedGlob(pattern.string(), globBudget_, paths);
    if (globBudget_.spent) {
      sink_.error(node.where, "include pattern '" + pattern.string() +
                                  "': the include patterns read more than " +
                                  std::to_string(kMaxGlobEntries) +
                                  " directory entries in all; stopped reading the config");
      truncated_ = true;
      return;
    }
    if (rc == GLOB_NOMATCH && hasGlobChars(node.args[0]) && mustMatch(node.keyword)) {
      sink_.error(node.where,
                  node.keyword + " pattern '" + pattern.string() + "' matched no files");
    } else if (rc == GLOB_NOMATCH && hasGlobChars(node.args[0])) {
      // An empty conf.d is normal; a named file that is missing is not.
      sink_.warning(node.where, "include pattern '" + pattern.string() + "' matched no files");
    } else if (rc == GLOB_NOMATCH) {
      sink_.error(node.where, "cannot include '" + pattern.string() + "': no such file");
    } else if (rc != 0) {
      sink_.error(node.where, "cannot expand include pattern '" + pattern.string() + "'");
    }
    for (const auto& path : paths) includeFile(path, node.where, depth, out);
  }

  void includeFile(const std::string& path, const SourceLocation& from, int depth,
                   std::vector<Node>& out) {
    if (truncated_) return;
    if (++files_ > kMaxIncludedFiles) {
      sink_.error(from, "more than " + std::to_string(kMaxIncludedFiles) +
                            " included files; stopped reading the config");
      truncated_ = true;
      return;
    }
    std::error_code ec;
    fs::path canonical = fs::weakly_canonical(path, ec);
    for (const auto& frame : chain_) {
      if (!ec && frame.canonical == canonical) {
        sink_.error(from, "include cycle: " + chainText(path));
        return;
      }
    }
    std::string text;
    if (!readFile(path, from, text)) return;
    if (text.size() > kMaxConfigBytes - bytesRead_) {
      sink_.error(from, "cannot include '" + path + "': the config would pass " +
                            std::to_string(kMaxConfigBytes) +
                            " bytes (all files together); stopped reading the config");
      truncated_ = true;
      return;
    }
    bytesRead_ += text.size();
    chain_.push_back(Frame{path, canonical});
    parseText(text, path, depth, out);
    chain_.pop_back();
  }

  bool readFile(const std::string& path, const SourceLocation& errorAt, std::string& text) {
    std::error_code ec;
    auto status = fs::status(path, ec);
    if (!fs::exists(status)) {
      sink_.error(errorAt, "cannot read '" + path + "': no such file");
      return false;
    }
    if (!fs::is_regular_file(status)) {
      sink_.error(errorAt, "cannot read '" + path + "': not a regular file");
      return false;
    }
    auto size = fs::file_size(path, ec);
    if (!ec && size > kMaxConfigBytes) {
      sink_.error(errorAt, "cannot read '" + path + "': larger than " +
                               std::to_string(kMaxConfigBytes) + " bytes");
      return false;
    }
    std::ifstream in(path, std::ios::binary);
    if (ec || !in) {
      sink_.error(errorAt, "cannot read '" + path + "': " + std::strerror(errno));
      return false;
    }
    // At most one chunk past the limit, whatever the size said: the file may have grown since,
    // and /proc and /sys files report a size of 0.
    std::array<char, 64 * 1024> chunk;
    while (text.size() <= kMaxConfigBytes && in) {
      in.read(chunk.data(), chunk.size());
      text.append(chunk.data(), static_cast<size_t>(in.gcount()));
    }
    if (in.bad()) {
      sink_.error(errorAt, "cannot read '" + path + "': read failed");
      return false;
    }
    if (text.size() > kMaxConfigBytes) {
      sink_.error(errorAt, "cannot read '" + path + "': larger than " +
                               std::to_string(kMaxConfigBytes) + " bytes");
      return false;
    }
    return true;
  }

  std::string chainText(const std::string& last) const {
    std::string out;
    for (const auto& frame : chain_) out += frame.shown + " -> ";
    return out + last;
  }

  DiagnosticSink& sink_;
  // Definitions made in one file hold in the files read after it, as in keepalived.
  ConfigLanguage language_;
  std::vector<Frame> chain_;
  size_t nodes_ = 0;
  size_t treeBytes_ = 0;
  size_t files_ = 0;
  size_t bytesRead_ = 0;
  GlobBudget globBudget_{kMaxGlobEntries, false};
  bool truncated_ = false;
};

}  // namespace

ConfigTree parseConfigTree(std::string_view text, const std::string& fileName, DiagnosticSink& sink,
                           std::string_view configId) {
  return TreeParser(sink, configId).parseTop(text, fileName);
}

ConfigTree parseConfigTreeFile(const std::string& path, DiagnosticSink& sink,
                               std::string_view configId) {
  return TreeParser(sink, configId).parseTopFile(path);
}

}  // namespace ha::director::config
