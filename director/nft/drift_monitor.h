#pragma once
// Drift: a change to directord's nf_tables tables that directord did not make (`nft delete table
// inet directord`, `nft flush ruleset`, a rule someone added). Owner-flagged tables (TableOwner)
// prevent it where the kernel allows; the DriftMonitor port reports what still gets through so the
// node can put its tables back. NetlinkDriftMonitor is the production adapter; the pure part
// below turns nf_tables notifications into drift reports.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/result.h"
#include "director/nft/ir.h"

struct nlmsghdr;

namespace ha::director::nft {

// One object notification of NFNLGRP_NFTABLES, as far as drift needs it.
struct NftNotification {
  uint16_t message = 0;  // NFT_MSG_NEWTABLE, NFT_MSG_DELRULE, ...
  uint8_t family = 0;    // NFPROTO_*
  std::string table;
  std::string object;   // chain, set or rule's chain; "" for a table
  uint32_t portId = 0;  // the netlink socket that made the change; 0: the kernel itself
};

// NFT_MSG_NEWGEN: ends the notifications of one committed transaction and names its process.
struct NftGeneration {
  uint32_t pid = 0;
  std::string process;
};

using NftEvent = std::variant<NftNotification, NftGeneration>;

// One netlink message of the group -> an event; nullopt for messages drift does not need
// (other subsystems, object types without a table) and for malformed ones.
std::optional<NftEvent> parseNftEvent(const nlmsghdr* nlh);

struct Drift {
  std::string what;  // "delete table inet directord (+3 more) by nft[4242]"
  uint32_t pid = 0;  // 0 when unknown (the kernel, lost notifications)
  std::string process;
};

// Groups notifications by transaction and reports the transactions that touched our tables from
// another socket. Set elements the kernel itself adds or expires (dynamic sets: persistence,
// counters) are the datapath at work, not drift.
class DriftDetector {
 public:
  DriftDetector(std::vector<TableId> ours, uint32_t ourPortId);
  std::optional<Drift> feed(const NftEvent& event);

 private:
  bool foreignChangeOfOurs(const NftNotification& n) const;

  std::vector<TableId> ours_;
  uint32_t ourPortId_;
  std::vector<NftNotification> pending_;  // foreign changes of ours in the current transaction
};

struct DriftRead {
  // The kernel dropped notifications (ENOBUFS): what changed is unknown.
  bool overrun = false;
};

class DriftMonitor {
 public:
  virtual ~DriftMonitor() = default;
  // Readable when notifications are queued (watched by the director io_context).
  virtual int fd() const = 0;
  // Reads what is queued without blocking; appends one Drift per foreign transaction.
  virtual Result<DriftRead> read(std::vector<Drift>& out) = 0;
};

}  // namespace ha::director::nft
