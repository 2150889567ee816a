#pragma once
// The eBPF datapath as the node sees it: remembers what it holds, refuses when told to (a
// program the verifier refuses, at load or at the first apply that needs it).
#include <string>
#include <vector>

#include "director/bpf/datapath_port.h"

namespace ha::director::test {

class FakeDatapath final : public bpf::DatapathPort {
 public:
  Status apply(const bpf::DatapathEntries& desired) override {
    ++applies;
    if (!desired.empty() && !loaded) {
      if (auto st = prepare(); !st) return st;
    }
    if (!refuseApply.empty()) return Error{refuseApply};
    installed = desired;
    history.push_back(desired);
    return okStatus();
  }
  Status prepare() override {
    ++prepares;
    if (!refuseLoad.empty()) return Error{refuseLoad};
    loaded = true;
    return okStatus();
  }
  Result<bpf::DatapathCounters> counters() override {
    bpf::DatapathCounters c;
    c.loaded = loaded;
    c.attached = installed.devices;
    return c;
  }
  void removeAll() override {
    ++removals;
    installed = {};
  }

  std::string refuseLoad;   // the verifier's refusal
  std::string refuseApply;  // a map write the kernel refuses
  bool loaded = false;
  bpf::DatapathEntries installed;
  std::vector<bpf::DatapathEntries> history;  // every accepted apply
  size_t applies = 0, prepares = 0, removals = 0;
};

}  // namespace ha::director::test
