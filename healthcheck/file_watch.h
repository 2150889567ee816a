#pragma once
// The port FILE_CHECK reads its files through (docs/style.md §3): which files to follow, their
// values now, and a call on every change. Production: inotify on the health thread
// (makeInotifyFileWatch); tests: tests/fakes/fake_file_watch.h.
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "healthcheck/health_config.h"

namespace ha::healthcheck {

class FileWatch {
 public:
  // A followed file's value changed (file_check.h parseTrackFileValue; deleted or moved away:
  // 0). Called on the health thread.
  using Changed = std::function<void(const std::string& path, int64_t value)>;
  virtual ~FileWatch() = default;
  // keepalived's init_file: writes VALUE to each file that is missing (or to every one with
  // `overwrite`, at start only: `firstApply`). Failures are logged, as keepalived does.
  virtual void initialise(const std::vector<TrackFileConfig>& files, bool firstApply) = 0;
  // Follows exactly `paths` from now on; returns the value of each as of now.
  virtual std::map<std::string, int64_t> follow(const std::set<std::string>& paths) = 0;
};

// inotify on each file's directory (IN_CLOSE_WRITE, IN_DELETE, IN_MOVE: keepalived's events, so
// an editor's rename-over and `echo 5 > file` are both seen), read from `io`'s thread.
std::unique_ptr<FileWatch> makeInotifyFileWatch(boost::asio::io_context& io,
                                                FileWatch::Changed changed);

}  // namespace ha::healthcheck
