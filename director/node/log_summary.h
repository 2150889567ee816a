#pragma once
// Logs that scale: a batch of many like changes (10k reals going down at once) becomes one summary
// line per kind of change ("10000 reals of 1 service down: TCP_CHECK: connection refused (each
// with -D)"), and the per-item lines go to the debug log. A small batch is logged line by line,
// exactly as before. Pure: lines in, lines out.
#include <cstddef>
#include <string>
#include <vector>

namespace ha::director {

// Batches up to this many changes are logged line by line.
inline constexpr size_t kLogDetailLimit = 5;

struct ChangeLine {
  std::string what;  // the kind of change, the summary key: "down: TCP_CHECK: connection refused"
  std::string subject;  // what the item belongs to, counted in the summary: "TCP 192.0.2.1:80"
  std::string line;     // the line logged for this item alone
};

struct SummarizedLog {
  std::vector<std::string> info;
  std::vector<std::string> debug;
};

// `noun` names the items ("real" -> "reals"); `subjectNoun` what they belong to ("service").
SummarizedLog summarize(const std::vector<ChangeLine>& changes, const std::string& noun,
                        const std::string& subjectNoun, size_t detailLimit = kLogDetailLimit);

// A health reason without the real's own address, so that reals failing alike share a summary:
// "TCP_CHECK 198.51.100.11:80: connection refused" -> "TCP_CHECK: connection refused".
std::string reasonKind(const std::string& reason);

}  // namespace ha::director
