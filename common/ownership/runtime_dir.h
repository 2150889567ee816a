#pragma once
// directord's runtime directory for one network namespace, <base>/net-<namespace inode>/
// (base: /run/directord), holding
//   lock    flock'ed for the life of the process: one directord per network namespace; its text
//           names the holder (pid, config, admin socket, start time) for a refused second one;
//   state   the ownership ledger (ledger.h), rewritten atomically on every change.
// Several directord instances in different namespaces share /run: the inode keys the directory,
// the namespace cookie in the state file tells a reused inode from the namespace that wrote it.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/ownership/ledger.h"
#include "common/ownership/ownership_ledger.h"
#include "common/result.h"

namespace ha {

// Which network namespace, in which boot: a ledger from any other is not ours to act on.
struct NetnsIdentity {
  uint64_t inode = 0;   // of /proc/self/ns/net: what `lsns` shows
  uint64_t cookie = 0;  // SO_NETNS_COOKIE; 0 when the kernel has none (< 5.14)
  std::string bootId;   // /proc/sys/kernel/random/boot_id; empty if unreadable
};
Result<NetnsIdentity> currentNetns();

std::string runtimeDirFor(const std::string& base, const NetnsIdentity& netns);

// Who holds the lock, as written into the lock file.
struct InstanceInfo {
  int64_t pid = 0;
  std::string configPath;
  std::string adminSocket;
  std::string started;  // UTC, ISO 8601
  bool operator==(const InstanceInfo&) const = default;
};
std::string encodeInstanceInfo(const InstanceInfo& info);
std::optional<InstanceInfo> decodeInstanceInfo(std::string_view text);
// "pid 1234, config /etc/..., admin socket /run/directord.sock, started 2025-06-01T10:00:00Z"
std::string describeInstance(const InstanceInfo& info);
std::string utcNow();

class InstanceLock {
 public:
  struct Outcome {
    std::unique_ptr<InstanceLock> lock;  // set when taken
    bool heldByAnother = false;          // refused: the message names the holder
    std::string message;                 // why not taken
  };
  // Creates `dir` (and its parent) and takes <dir>/lock without waiting, then writes `me` into it.
  static Outcome acquire(const std::string& dir, const InstanceInfo& me);
  // Removes the lock file (while still holding it, so no one can be waiting on this inode) and
  // the directory if nothing else is left in it, then releases the lock.
  ~InstanceLock();
  InstanceLock(const InstanceLock&) = delete;
  InstanceLock& operator=(const InstanceLock&) = delete;

 private:
  InstanceLock(std::string dir, int fd) : dir_(std::move(dir)), fd_(fd) {}
  std::string dir_;
  int fd_;
};

// The state file, <dir>/state. save() writes state.tmp and renames it over state: a process
// killed at any point leaves the old or the new ledger, never half of one. append() adds one
// change line in one write (a kill leaves it whole or torn, and decodeLedger drops a torn last
// line). No fsync: what the ledger describes (addresses, tables, routes) dies with the kernel, so
// surviving a power loss buys nothing (a ledger from an earlier boot is discarded by its boot id),
// while it costs milliseconds on a disk-backed /run, on the VRRP takeover path, per address.
class StateFile final : public LedgerSink {
 public:
  explicit StateFile(std::string dir) : dir_(std::move(dir)) {}
  std::string path() const { return dir_ + "/state"; }
  std::string asidePath() const { return dir_ + "/state.corrupt"; }

  // What a predecessor left: nothing, a ledger, or an error (unreadable, or not a ledger).
  Result<std::optional<Ledger>> load() const;
  // Keeps a copy of an unreadable state file as state.corrupt for a human to look at.
  Status setAside() const;
  Status save(const Ledger& ledger) override;
  Status append(std::string_view line) override;
  Status erase() override;

 private:
  std::string dir_;
};

// The start-up policy: what the predecessor left, as a ledger we can act on. A corrupt file is
// logged and set aside and nothing is reclaimed from it; one written by another namespace (a
// reused inode) or in an earlier boot is logged and dropped. Either way the result is then empty
// (stamped with `here`).
Ledger inheritLedger(StateFile& file, const NetnsIdentity& here);

}  // namespace ha
