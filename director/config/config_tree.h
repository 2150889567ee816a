#pragma once
// The generic keepalived.conf tree: every statement is a keyword, its arguments on the same line
// and an optional `{ ... }` block. The typed mapping is a separate pass (config_mapper.h), so
// grammar problems and meaning problems are reported separately and each pass stays small.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "director/config/config_model.h"

namespace ha::director::config {

// Hard limits against hostile input: each ends in a clean error, never a crash or an OOM.
inline constexpr size_t kMaxLineBytes = 64 * 1024;
inline constexpr int kMaxBlockDepth = 32;
inline constexpr size_t kMaxNodes = 1'000'000;  // 10k services x 10 reals is ~330k
// What the tree of statements may take in memory (node, words and file name of each statement):
// a 64 KiB line of one-letter words is 32k strings, so text alone does not bound it.
inline constexpr size_t kMaxTreeBytes = 256 * 1024 * 1024;
inline constexpr size_t kMaxIncludeDepth = 8;  // keepalived's own include nesting limit
// Text read in all, the main file and every include together (one file may be all of it).
inline constexpr size_t kMaxConfigBytes = 16 * 1024 * 1024;
inline constexpr size_t kMaxIncludedFiles = 1000;  // a glob include per level multiplies fast
// Directory entries glob(3) may read for all `include` patterns together: `include /*/*/*` walks
// the filesystem before a single match is returned.
inline constexpr size_t kMaxGlobEntries = 100'000;
// Local addresses expanded from every local_address_group in use, together. A FULLNAT cluster of
// 64 directors with 64 local addresses each, listed in their own groups and again in a peers
// group for sync, needs 8192; each address is a map element, and sync copies the set per service.
inline constexpr uint64_t kMaxLocalAddresses = 8192;
// Maglev slots of every `lb_algo mh` service together: each is a plan entry and a kernel map
// element, and one line (`mh_table_size 1000003`) asks for a million. 4,099 services at the
// default size fit, or 16 at the largest.
inline constexpr uint64_t kMaxMaglevSlots = 16 * 1024 * 1024;
// keepalived's parameters and sequences (preprocessor.h). A `~SEQ` of a million iterations over a
// 64 KiB definition would write 64 GB, and one of empty lines costs no text, so both the text and
// the lines they produce are bounded; so are substitutions in one line (`${A}` = `${B}${B}`, `${B}`
// = `${C}${C}`, ... doubles the work per name while the line stays short) and nesting.
inline constexpr size_t kMaxExpandedBytes = 64 * 1024 * 1024;
inline constexpr size_t kMaxExpandedLines = 2'000'000;
inline constexpr size_t kMaxSubstitutionsPerLine = 10'000;
inline constexpr size_t kMaxExpansionDepth = 16;

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
