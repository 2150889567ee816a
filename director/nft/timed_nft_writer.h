#pragma once
// An NftWriter that counts and times every commit of the writer it wraps (the node's forwarder
// metrics: commits, failures, a commit-latency histogram). Owned by the thread that commits, as
// the writer is; the counters are read there too.
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/latency_histogram.h"
#include "director/nft/nft_writer.h"

namespace ha::director::nft {

struct CommitStats {
  uint64_t commits = 0;      // transactions sent, refused ones included
  uint64_t failures = 0;     // refused by the kernel (nothing changed)
  LatencyHistogram latency;  // send to the kernel's answer, refused ones included
};

class TimedNftWriter final : public NftWriter {
 public:
  TimedNftWriter(std::unique_ptr<NftWriter> inner, const TimeSource& clock)
      : inner_(std::move(inner)), clock_(clock) {}

  Status commit(const Transaction& tx) override;
  TableOwner ownerLimit() const override { return inner_->ownerLimit(); }
  Result<std::vector<ElementCounter>> readSetCounters(const TableId& table,
                                                      const std::string& set) override {
    return inner_->readSetCounters(table, set);
  }
  Result<std::vector<Element>> readSetElements(const TableId& table,
                                               const std::string& set) override {
    return inner_->readSetElements(table, set);
  }
  Result<std::vector<RuleCounter>> readChainCounters(const TableId& table) override {
    return inner_->readChainCounters(table);
  }

  const CommitStats& stats() const { return stats_; }

 private:
  std::unique_ptr<NftWriter> inner_;
  const TimeSource& clock_;
  CommitStats stats_;
};

}  // namespace ha::director::nft
