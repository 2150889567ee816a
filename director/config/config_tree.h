#pragma once
// The generic keepalived.conf tree: every statement is a keyword, its arguments on the same line
// and an optional `{ ... }` block. The typed mapping is a separate pass (config_mapper.h), so
// grammar problems and meaning problems are reported separately and each pass stays small.
#include <cstddef>
#include <string>
#include <vector>

#include "director/config/config_model.h"

namespace ha::director::config {

// Hard limits against hostile input: each ends in a clean error, never a crash or an OOM.
inline constexpr size_t kMaxLineBytes = 64 * 1024;
inline constexpr int kMaxBlockDepth = 32;
inline constexpr size_t kMaxNodes = 1'000'000;  // 10k services x 10 reals is ~330k
inline constexpr size_t kMaxIncludeDepth = 8;  // keepalived's own include nesting limit
inline constexpr size_t kMaxFileBytes = 16 * 1024 * 1024;
inline constexpr size_t kMaxIncludedFiles = 1000;  // a glob include per level multiplies fast

struct Node {
  std::string keyword;
  std::vector<std::string> args;
  std::vector<Node> children;
  SourceLocation where;
  bool hasBlock = false;  // `x {}` and `x` differ: a block keyword without one is an error
};

struct ConfigTree {
  std::vector<Node> roots;
  // A hard limit stopped parsing: the tree is partial and mapping it would only add noise.
  bool truncated = false;
};

}  // namespace ha::director::config
