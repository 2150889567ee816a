#include "director/config/node_rules.h"

#include <chrono>
#include <cstdio>
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

std::optional<int64_t> signedArg(const Node& node, size_t index, int64_t min, int64_t max,
                                 DiagnosticSink& sink) {
  const std::string& token = node.args.at(index);
  auto value = parseSigned(token, min, max);
  if (!value) {
    sink.error(node.where, "invalid value '" + token + "' for '" + node.keyword +
                               "': expected an integer in " + std::to_string(min) + ".." +
                               std::to_string(max));
  }
  return value;
}

std::string secondsText(Duration d) {
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  std::string text = std::to_string(micros / 1'000'000);
  if (auto fraction = micros % 1'000'000; fraction != 0) {
    char digits[8];
    std::snprintf(digits, sizeof digits, "%06lld", static_cast<long long>(fraction));
    std::string f = digits;
    f.erase(f.find_last_not_of('0') + 1);
    text += "." + f;
  }
  return text;
}

std::optional<Duration> secondsArg(const Node& node, size_t index, Duration min, Duration max,
                                   DiagnosticSink& sink) {
  const std::string& token = node.args.at(index);
  auto micros = parseMicroseconds(token);
  std::optional<Duration> value;
  if (micros &&
      *micros <= static_cast<uint64_t>(
                     std::chrono::duration_cast<std::chrono::microseconds>(max).count())) {
    value = std::chrono::microseconds(*micros);
  }
  if (!value || *value < min) {
    sink.error(node.where, "invalid value '" + token + "' for '" + node.keyword +
                               "': expected seconds in " + secondsText(min) + ".." +
                               secondsText(max) + " (at most 6 decimals)");
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
