#pragma once
// keepalived's parameters (keepalived.conf(5) "Parameter substitution", lib/parser.c of 2.2.7):
// `$NAME=VALUE` definitions and the replacement of `$NAME` / `${NAME}` in later lines.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace ha::director::config {

struct Definition {
  enum class Kind : uint8_t { kText, kPwd, kInstance, kRandom };
  Kind kind = Kind::kText;
  // One line, or the lines of a multi-line definition. Shared, so an expansion in progress keeps
  // its lines when the name is redefined meanwhile.
  std::shared_ptr<std::vector<std::string>> lines;
  // Defined with a trailing `\`: replaced only where the reference ends the line; its lines after
  // the first follow as lines of their own.
  bool multiline = false;
};

// `$NAME=VALUE` at the start of a line: NAME is [A-Za-z_][A-Za-z0-9_]*, the `=` follows it at
// once (keepalived check_definition). VALUE starts after the blanks that follow the `=`.
struct DefinitionLine {
  std::string name;
  std::string value;       // without the trailing `\` and the blanks before it
  bool continued = false;  // ended with `\`: the following lines belong to it
};
std::optional<DefinitionLine> parseDefinitionLine(std::string_view line);
bool isParameterName(std::string_view name);

// The rest of a multi-line definition used at the end of a line: its lines from `next` on.
struct MultilineRest {
  std::string name;
  std::shared_ptr<const std::vector<std::string>> lines;
  size_t next = 1;
};

struct Substitution {
  std::string text;
  bool changed = false;
  std::vector<MultilineRest> rests;  // in the order they were used (the last one is read first)
  std::vector<std::string> warnings;
  std::string error;        // set: the line cannot be used
  size_t bytesWritten = 0;  // text the values added, for the loader's expansion budget
};

class DefinitionTable {
 public:
  // _PWD, _INSTANCE, _RANDOM [MIN [MAX]], _HASH, _BANG (keepalived set_std_definitions).
  explicit DefinitionTable(std::string instance);

  void define(const std::string& name, std::vector<std::string> lines, bool multiline);
  // A ~SEQ / ~LST variable: a one-line definition, its value replaced in place when no expansion
  // holds it (a million repetitions need not allocate a million definitions).
  void setVariable(const std::string& name, std::string value);
  const Definition* find(std::string_view name) const;
  // Whether anything was defined by the config (`$X=`, ~SEQ, ~LST): unresolved references are
  // only worth a warning then; before, a `$` is just a character (scripts, passwords).
  bool userDefined() const { return userDefined_; }

  // Replaces every reference in `line` as keepalived's replace_param does: the text a value puts
  // in is scanned again, so values may refer to other names (bound at use, not at definition).
  // `pwd` is ${_PWD}; `expanding(name)` says whether a multi-line definition is being expanded
  // around this line (using it again would never end). `budget` is what may still be written.
  Substitution substitute(std::string_view line, std::string_view pwd,
                          const std::function<bool(std::string_view)>& expanding, size_t budget);

 private:
  std::string valueOf(const Definition& def, std::string_view params, std::string_view pwd,
                      std::string& error);

  std::map<std::string, Definition, std::less<>> defs_;
  std::string instance_;
  std::mt19937_64 random_;
  bool userDefined_ = false;
};

}  // namespace ha::director::config
