#pragma once
// Helpers for the tests of keepalived's line language (conditions, definitions, ~SEQ / ~LST):
// parse to the generic tree with a config id and print the statements it holds.
#include <string>
#include <string_view>
#include <vector>

#include "director/config/tree_parser.h"
#include "tests/unit/director/config/config_test_util.h"

namespace ha::director::testing {

struct Parsed {
  config::ConfigTree tree;
  LoadResult result;  // only the diagnostics are filled
};

inline Parsed parseWithId(std::string_view text, std::string_view configId,
                          const std::string& file = kTestFile) {
  config::DiagnosticSink sink;
  Parsed p;
  p.tree = config::parseConfigTree(text, file, sink, configId);
  p.result.diagnostics = sink.take();
  return p;
}

inline Parsed parseFileWithId(const std::string& path, std::string_view configId) {
  config::DiagnosticSink sink;
  Parsed p;
  p.tree = config::parseConfigTreeFile(path, sink, configId);
  p.result.diagnostics = sink.take();
  return p;
}

// "keyword arg arg" per statement; a block as "keyword args { child; child }".
inline std::string statementText(const config::Node& node) {
  std::string out = node.keyword;
  for (const auto& arg : node.args) out += " " + arg;
  if (node.hasBlock) {
    out += " {";
    for (size_t i = 0; i < node.children.size(); ++i) {
      out += (i == 0 ? " " : "; ") + statementText(node.children[i]);
    }
    out += " }";
  }
  return out;
}

inline std::vector<std::string> statements(const config::ConfigTree& tree) {
  std::vector<std::string> out;
  for (const auto& node : tree.roots) out.push_back(statementText(node));
  return out;
}

inline std::vector<std::string> statements(std::string_view text,
                                           std::string_view configId = "main") {
  auto p = parseWithId(text, configId);
  EXPECT_TRUE(isClean(p.result)) << text;
  return statements(p.tree);
}

}  // namespace ha::director::testing
