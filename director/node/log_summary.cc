#include "director/node/log_summary.h"

#include <algorithm>
#include <map>
#include <set>

namespace ha::director {

SummarizedLog summarize(const std::vector<ChangeLine>& changes, const std::string& noun,
                        const std::string& subjectNoun, size_t detailLimit) {
  SummarizedLog out;
  if (changes.size() <= detailLimit) {
    for (const auto& c : changes) out.info.push_back(c.line);
    return out;
  }
  struct Group {
    size_t first = 0;  // index of its first change: summaries keep the batch's order
    std::vector<const ChangeLine*> items;
    std::set<std::string> subjects;
  };
  std::map<std::string, Group> groups;
  for (size_t i = 0; i < changes.size(); ++i) {
    auto [it, fresh] = groups.try_emplace(changes[i].what);
    if (fresh) it->second.first = i;
    it->second.items.push_back(&changes[i]);
    it->second.subjects.insert(changes[i].subject);
  }
  std::vector<const std::pair<const std::string, Group>*> ordered;
  ordered.reserve(groups.size());
  for (const auto& g : groups) ordered.push_back(&g);
  std::sort(ordered.begin(), ordered.end(),
            [](auto* a, auto* b) { return a->second.first < b->second.first; });
  for (const auto* g : ordered) {
    const auto& [what, group] = *g;
    if (group.items.size() == 1) {
      out.info.push_back(group.items.front()->line);
      continue;
    }
    const size_t subjects = group.subjects.size();
    out.info.push_back(std::to_string(group.items.size()) + " " + noun + "s of " +
                       std::to_string(subjects) + " " + subjectNoun + (subjects == 1 ? "" : "s") +
                       " " + what + " (each with -D)");
    for (const auto* item : group.items) out.debug.push_back(item->line);
  }
  return out;
}

std::string reasonKind(const std::string& reason) {
  // "KIND ENDPOINT: detail": the endpoint is the second word, up to the first ": " after it.
  const auto space = reason.find(' ');
  if (space == std::string::npos) return reason;
  const auto colon = reason.find(": ", space);
  if (colon == std::string::npos) return reason;
  return reason.substr(0, space) + reason.substr(colon);
}

}  // namespace ha::director
