#pragma once
// Writes the SIGUSR1 / SIGUSR2 dumps (keepalived_dump.h) on a thread of its own: the snapshots it
// needs are answers from the director, VRRP, health and sync threads (each with a deadline), so
// the signal handler on the director thread only hands over a request and returns. Requests that
// arrive while one of the same kind waits are one dump (an exporter scraping fast cannot queue).
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "common/result.h"
#include "director/node/director_view.h"

namespace ha::director {

enum class DumpKind { kData, kStats };

// Writes `text` to `path` as one step for readers: a fresh temp file (O_EXCL, in the same
// directory) renamed over `path`. A symlink planted at `path` is replaced, never followed.
Status writeFileAtomically(const std::string& path, std::string_view text);

class DumpWriter {
 public:
  DumpWriter(DirectorView& view, std::string directory);
  ~DumpWriter();  // stop()
  DumpWriter(const DumpWriter&) = delete;
  DumpWriter& operator=(const DumpWriter&) = delete;

  // Thread-safe, does not wait.
  void request(DumpKind kind);
  // Ends the thread after the dump it is writing, if any; pending requests are dropped.
  void stop();
  std::string pathOf(DumpKind kind) const;

 private:
  void run();
  void write(DumpKind kind);

  DirectorView& view_;
  const std::string directory_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool dataWanted_ = false;
  bool statsWanted_ = false;
  bool stopping_ = false;
  std::thread thread_;  // last: started once the rest is ready
};

}  // namespace ha::director
