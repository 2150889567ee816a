#pragma once
// A stateful stand-in for nf_tables: applies transactions to an NftState with the kernel's
// refusals (missing objects, busy references, key sizes), all or nothing, and dumps the result
// as sorted text for golden tests (knftables' Fake, docs/style.md §3).
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "director/nft/ir.h"
#include "director/nft/ir_text.h"
#include "director/nft/nft_writer.h"

namespace ha::director::nft {

class FakeNftWriter final : public NftWriter {
 public:
  Status commit(const Transaction& tx) override;
  Result<std::vector<ElementCounter>> readSetCounters(const TableId& table, const std::string& set) override;
  Result<std::vector<RuleCounter>> readChainCounters(const TableId& table) override;
  // The set's elements in the fake's state.
  Result<std::vector<Element>> readSetElements(const TableId& table, const std::string& set) override;

  const NftState& state() const { return state_; }
  std::string dump() const { return toText(state_); }
  int commits() const { return commits_; }
  const Transaction& lastTransaction() const { return last_; }
  // The next commit fails as the kernel would on a netlink error, leaving state untouched.
  void failNextCommit(std::string error) { failNext_ = std::move(error); }
  void setSetCounters(const std::string& set, std::vector<ElementCounter> counters) {
    setCounters_[set] = std::move(counters);
  }
  void setChainCounters(std::vector<RuleCounter> counters) { chainCounters_ = std::move(counters); }

 private:
  NftState state_;
  Transaction last_;
  int commits_ = 0;
  std::string failNext_;
  std::map<std::string, std::vector<ElementCounter>> setCounters_;
  std::vector<RuleCounter> chainCounters_;
};

}  // namespace ha::director::nft
