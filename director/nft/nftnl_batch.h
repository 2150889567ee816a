#pragma once
// Serialises a Transaction into one nfnetlink batch (BATCH_BEGIN, the messages
// of every op in order, BATCH_END) held in one contiguous buffer: the kernel
// commits or aborts it as a unit.
#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "director/nft/ir.h"

namespace ha::director::nft::detail {

// Where one message of the batch came from, to name the object the kernel
// rejected.
struct MessageOrigin {
  size_t op = 0;            // index into Transaction::ops
  size_t offset = 0;        // of the message in the batch buffer
  size_t firstElement = 0;  // element ops: index of the message's first element in the op
};

class BatchBuilder {
 public:
  // Tables are created with at most `ownerLimit`'s flags (what the running kernel accepts).
  explicit BatchBuilder(uint32_t firstSeq, TableOwner ownerLimit = TableOwner::kPersistent);

  // Errors name what cannot be encoded (an oversized key, a name too long);
  // nothing is sent then.
  Status add(const Op &op, size_t opIndex);
  void finish();

  const char *data() const { return buf_.data(); }
  size_t size() const { return used_; }
  // Messages carrying ops (each asks for an ACK); the batch begin/end messages
  // are not counted.
  size_t messageCount() const { return origins_.size(); }
  uint32_t beginSeq() const { return firstSeq_; }
  uint32_t nextSeq() const { return seq_; }
  // nullptr for the batch begin/end messages and for sequence numbers outside
  // this batch.
  const MessageOrigin *origin(uint32_t seq) const;
  const nlmsghdr *message(const MessageOrigin &origin) const;

 private:
  char *reserve(size_t bytes);
  nlmsghdr *startMessage(uint16_t type, const TableId &table, uint16_t flags, size_t opIndex,
                         size_t firstElement, size_t maxBytes);
  void endMessage(const nlmsghdr *nlh);

  Status addOp(const AddTable &op, size_t i);
  Status addOp(const DeleteTable &op, size_t i);
  Status addOp(const AddSet &op, size_t i);
  Status addOp(const DeleteSet &op, size_t i);
  Status addOp(const AddChain &op, size_t i);
  Status addOp(const DeleteChain &op, size_t i);
  Status addOp(const FlushChain &op, size_t i);
  Status addOp(const AddRule &op, size_t i);
  Status addOp(const AddElements &op, size_t i);
  Status addOp(const DeleteElements &op, size_t i);
  Status addOp(const AddObject& op, size_t i);
  Status addOp(const DeleteObject& op, size_t i);
  Status addElements(uint16_t type, const TableId &table, const std::string &set,
                     const std::vector<Element> &elements, size_t i);

  std::vector<char> buf_;
  size_t used_ = 0;
  uint32_t firstSeq_;
  uint32_t seq_;
  std::vector<MessageOrigin> origins_;  // origins_[seq - firstSeq_ - 1]
  uint32_t nextSetId_ = 1;              // NFTNL_SET_ID, unique within the batch
  TableOwner ownerLimit_;
};

// "add rule to chain svc_3 in inet directord"
std::string describeOp(const Op &op);
// describeOp plus, when the kernel pointed at an attribute (extended ACK
// offset), the expression or the element inside the message it rejected.
std::string describeFailure(const Transaction &tx, const BatchBuilder &batch,
                            const MessageOrigin &origin, std::optional<uint32_t> badAttrOffset);

}  // namespace ha::director::nft::detail
