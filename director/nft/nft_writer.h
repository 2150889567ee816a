#pragma once
// The port to nf_tables. NetlinkNftWriter (libnftnl + libmnl) is the only code that talks to the
// kernel's nf_tables; tests use tests/fakes/fake_nft_writer.h, which applies transactions to an
// NftState and dumps it as sorted text for golden files.
#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "director/nft/ir.h"

namespace ha::director::nft {

struct ElementCounter {
  Bytes key;
  uint64_t packets = 0;
  uint64_t bytes = 0;
};

struct RuleCounter {
  std::string chain;
  uint64_t packets = 0;
  uint64_t bytes = 0;
};

class NftWriter {
 public:
  virtual ~NftWriter() = default;
  // One netlink batch: every op or none. The error names the object that failed.
  virtual Status commit(const Transaction& tx) = 0;
  // The most a created table gets of the owner flags asked for (an older kernel accepts less).
  virtual TableOwner ownerLimit() const { return TableOwner::kPersistent; }
  // Per-element counters of a set that declares them (dynamic stats sets).
  virtual Result<std::vector<ElementCounter>> readSetCounters(const TableId& table,
                                                              const std::string& set) = 0;
  // Every element of a set as the kernel holds it now, with its data; dynamic sets included (the
  // node purges persistence entries that point at a real that failed its checks).
  virtual Result<std::vector<Element>> readSetElements(const TableId& table, const std::string& set) = 0;
  // The first counter of each chain of the table (operators' and tests' view; the node reads sets).
  virtual Result<std::vector<RuleCounter>> readChainCounters(const TableId& table) = 0;
};

}  // namespace ha::director::nft
