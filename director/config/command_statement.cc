#include "director/config/command_statement.h"

#include <algorithm>
#include <cstdint>

#include "common/child_process.h"
#include "director/config/node_rules.h"

namespace ha::director::config {
namespace {

bool hasBlank(const std::string& word) {
  return std::any_of(word.begin(), word.end(), [](char c) { return c == ' ' || c == '\t'; });
}

// The command line must split and name a program.
bool checkSplits(const Node& node, const std::string& line, std::string_view owner,
                 DiagnosticSink& sink) {
  auto words = splitCommandLine(line);
  if (!words) {
    sink.error(node.where, "command line '" + line + "' for '" + node.keyword + "' in " +
                               std::string(owner) +
                               " cannot be split: unterminated quote or trailing backslash");
    return false;
  }
  if (words->empty() || words->front().empty()) {
    sink.error(node.where, "empty command for '" + node.keyword + "' in " + std::string(owner));
    return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> notifyCommandArg(const Node& node, std::string_view owner,
                                            DiagnosticSink& sink) {
  if (!checkStatement(node, 1, 3, node.keyword + " \"COMMAND ARGS\" [USER [GROUP]]", sink)) {
    return std::nullopt;
  }
  if (!checkSplits(node, node.args[0], owner, sink)) return std::nullopt;
  if (node.args.size() > 1) {
    sink.warning(node.where, "user '" + node.args[1] + "' for '" + node.keyword + "' in " +
                                 std::string(owner) +
                                 " ignored: directord runs scripts as root (quote the command "
                                 "if '" +
                                 node.args[1] + "' was meant as an argument)");
  }
  return node.args[0];
}

std::optional<std::string> miscPathArg(const Node& node, std::string_view owner,
                                       DiagnosticSink& sink) {
  if (!checkArgs(node, 1, SIZE_MAX, "misc_path \"COMMAND ARGS\"", sink) ||
      !checkNoBlock(node, sink)) {
    return std::nullopt;
  }
  if (node.args.size() > 1 && std::any_of(node.args.begin(), node.args.end(), hasBlank)) {
    sink.error(node.where, "misc_path in " + std::string(owner) +
                               " mixes a quoted word with unquoted ones; quote the whole "
                               "command line: misc_path \"COMMAND ARGS\"");
    return std::nullopt;
  }
  std::string line = node.args[0];
  for (size_t i = 1; i < node.args.size(); ++i) line += " " + node.args[i];
  if (!checkSplits(node, line, owner, sink)) return std::nullopt;
  return line;
}

}  // namespace ha::director::config
