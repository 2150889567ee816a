#include "director/config/node_rules.h"

#include <string>

#include "director/config/value_parsers.h"

namespace ha::director::config {

bool checkArgs(const Node& node, size_t min, size_t max, std::string_view usage,
               DiagnosticSink& sink) {
  if (node.args.size() < min) {
    sink.error(node.where,
               "missing argument for '" + node.keyword + "' (usage: " + std::string(usage) + ")");
    return false;
  }
  if (node.args.size() > max) {
    sink.error(node.where, "extra argument '" + node.args[max] + "' for '" + node.keyword +
                               "' (usage: " + std::string(usage) + ")");
    return false;
  }
  return true;
}

bool checkNoBlock(const Node& node, DiagnosticSink& sink) {
  if (!node.hasBlock) return true;
  sink.error(node.where, "'" + node.keyword + "' takes no { } block");
  return false;
}

bool checkHasBlock(const Node& node, DiagnosticSink& sink) {
  if (node.hasBlock) return true;
  sink.error(node.where, "'" + node.keyword + "' needs a { } block");
  return false;
}

bool checkStatement(const Node& node, size_t min, size_t max, std::string_view usage,
                    DiagnosticSink& sink) {
  bool blockOk = checkNoBlock(node, sink);
  return checkArgs(node, min, max, usage, sink) && blockOk;
}

std::optional<uint64_t> numberArg(const Node& node, size_t index, uint64_t min, uint64_t max,
                                  DiagnosticSink& sink) {
  const std::string& token = node.args.at(index);
  auto value = parseUnsigned(token, max);
  if (!value || *value < min) {
    sink.error(node.where, "invalid value '" + token + "' for '" + node.keyword +
                               "': expected an integer in " + std::to_string(min) + ".." +
                               std::to_string(max));
    return std::nullopt;
  }
  return value;
}

std::optional<IpAddress> addressArg(const Node& node, size_t index, DiagnosticSink& sink) {
  const std::string& token = node.args.at(index);
  auto address = IpAddress::parse(token);
  if (!address) {
    sink.error(node.where, "invalid IP address '" + token + "' for '" + node.keyword + "'");
  }
  return address;
}

std::optional<uint16_t> portArg(const Node& node, size_t index, uint16_t min,
                                DiagnosticSink& sink) {
  const std::string& token = node.args.at(index);
  auto value = parseUnsigned(token, UINT16_MAX);
  if (!value || *value < min) {
    sink.error(node.where, "invalid port '" + token + "' for '" + node.keyword + "': expected " +
                               std::to_string(min) + "..65535");
    return std::nullopt;
  }
  return static_cast<uint16_t>(*value);
}

std::string definedAt(const SourceLocation& where) { return "already defined at " + where.str(); }

}  // namespace ha::director::config
