#pragma once
// keepalived's sequence and list lines (keepalived.conf(5) "Sequence blocks", "List blocks"):
//   ~SEQ(VAR, START, STEP, END) TEXT   ~SEQ(VAR, START, END)   ~SEQ(VAR, END)   ~SEQx(...) in hex
//   ~LST(VAR, V1, V2, ...) TEXT        ~LST({A, B}, {1, 2}, {3, 4}) TEXT
// TEXT is read once per value with the variables defined (keepalived add_seq / add_lst).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ha::director::config {

struct RepeatSpec {
  std::vector<std::string> vars;
  // ~SEQ: START + i * STEP for i < count, printed in decimal or (~SEQx) lowercase hex.
  int64_t start = 0;
  int64_t step = 1;
  bool hex = false;
  // ~LST: one row of values per repetition (as many as vars; missing ones are empty).
  std::vector<std::vector<std::string>> rows;
  bool isList = false;
  uint64_t count = 0;
  std::string text;

  // The variables' values of repetition `i` (< count).
  std::vector<std::string> valuesAt(uint64_t i) const;
  // "~SEQ(i)" / "~LST(A, B)", for messages.
  std::string label() const;
};

struct RepeatParse {
  std::optional<RepeatSpec> spec;
  std::string error;
};

// `line` starts with ~SEQ or ~LST. ~SEQ's numbers may use definitions (`~SEQ(i, 1, $N)`):
// `substitute` replaces them. A ~SEQ of more than `maxCount` repetitions is refused here, before
// anything is repeated.
RepeatParse parseRepeat(std::string_view line,
                        const std::function<std::string(std::string_view)>& substitute,
                        uint64_t maxCount);

}  // namespace ha::director::config
