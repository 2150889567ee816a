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

struct NetnsIdentity {
  uint64_t inode = 0;   // of /proc/self/ns/net: what `ip netns identify` and `lsns` show
  uint64_t cookie = 0;  // SO_NETNS_COOKIE; 0 when the kernel has none (< 5.14)
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

// The state file, <dir>/state. save() writes state.tmp, fsyncs it, renames it over state and
// fsyncs the directory: a crash at any point leaves the old or the new ledger, never half of one.
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
  Status erase() override;

 private:
  std::string dir_;
};

// The start-up policy: what the predecessor left, as a ledger we can act on. A corrupt file is
// logged and set aside and nothing is reclaimed from it; one written by another namespace (a
// reused inode) is logged and dropped. Either way the result is then empty.
Ledger inheritLedger(StateFile& file, uint64_t netnsCookie);

}  // namespace ha
