// FILE_CHECK's files through inotify, on the health thread. Each file's directory is watched
// (a file that does not exist yet, or is replaced by rename, is still seen), and one inotify
// descriptor serves every file, read through an Asio descriptor wait.
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cerrno>
#include <cstring>
#include <optional>
#include <system_error>

#include "common/log.h"
#include "healthcheck/file_check.h"
#include "healthcheck/file_watch.h"

namespace ha::healthcheck {
namespace {

constexpr uint32_t kEvents = IN_CLOSE_WRITE | IN_DELETE | IN_MOVE;

std::string errnoText(int error) { return std::generic_category().message(error); }

std::pair<std::string, std::string> splitPath(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {".", path};
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

// The value a file holds now: 0 when missing (keepalived), nullopt when unreadable or not a
// number we take (the previous value stays).
std::optional<int64_t> readValue(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return 0;
    log::warning("track_file " + path + ": " + errnoText(errno) + "; value unchanged");
    return std::nullopt;
  }
  std::array<char, kTrackFileReadBytes> buffer{};
  const ssize_t length = ::read(fd, buffer.data(), buffer.size());
  ::close(fd);
  if (length < 0) {
    log::warning("track_file " + path + ": read: " + errnoText(errno) + "; value unchanged");
    return std::nullopt;
  }
  std::optional<int64_t> value =
      parseTrackFileValue(std::string_view(buffer.data(), static_cast<size_t>(length)));
  if (!value) log::warning("track_file " + path + ": number out of range; value unchanged");
  return value;
}

class InotifyFileWatch final : public FileWatch {
 public:
  InotifyFileWatch(boost::asio::io_context& io, Changed changed)
      : descriptor_(io), changed_(std::move(changed)) {
    const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) {
      log::error("FILE_CHECK: inotify_init1: " + errnoText(errno) +
                 ": track files are read only when the configuration is applied");
      return;
    }
    descriptor_.assign(fd);
    waitForEvents();
  }

  void initialise(const std::vector<TrackFileConfig>& files, bool firstApply) override {
    for (const TrackFileConfig& file : files) {
      if (!file.init) continue;
      struct stat info {};
      const bool exists = ::stat(file.path.c_str(), &info) == 0;
      // keepalived: never over an existing file unless `overwrite`, and never on a reload.
      if (exists && (!file.overwrite || !firstApply)) continue;
      if (exists && !S_ISREG(info.st_mode)) {
        log::error("track_file " + file.name + ": cannot initialise " + file.path +
                   ": not a regular file");
        continue;
      }
      const int fd =
          ::open(file.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
      const std::string text = std::to_string(*file.init) + "\n";
      if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
        log::error("track_file " + file.name + ": cannot initialise " + file.path + ": " +
                   errnoText(errno));
      }
      if (fd >= 0) ::close(fd);
    }
  }

  std::map<std::string, int64_t> follow(const std::set<std::string>& paths) override {
    std::map<std::string, int64_t> values;
    std::map<std::string, std::set<std::string>> wanted;  // directory -> names
    for (const std::string& path : paths) {
      auto [directory, name] = splitPath(path);
      wanted[directory].insert(name);
      const std::optional<int64_t> value = readValue(path);
      auto last = last_.find(path);
      values[path] = value.value_or(last != last_.end() ? last->second : 0);
    }
    last_ = values;
    // Directories no longer needed stop being watched; new ones start.
    for (auto it = directories_.begin(); it != directories_.end();) {
      if (wanted.count(it->second.path) == 0) {
        if (descriptor_.is_open()) ::inotify_rm_watch(descriptor_.native_handle(), it->first);
        it = directories_.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& [directory, names] : wanted) {
      int wd = -1;
      if (descriptor_.is_open()) {
        wd = ::inotify_add_watch(descriptor_.native_handle(), directory.c_str(), kEvents);
        if (wd < 0) {
          log::error("FILE_CHECK: cannot watch " + directory + ": " + errnoText(errno) +
                     ": changes of its track files are not seen");
          continue;
        }
      }
      directories_[wd] = Directory{directory, std::move(names)};
    }
    return values;
  }

 private:
  struct Directory {
    std::string path;
    std::set<std::string> names;
  };

  void waitForEvents() {
    descriptor_.async_wait(boost::asio::posix::descriptor_base::wait_read,
                           [this](const boost::system::error_code& error) {
                             if (error) return;  // operation_aborted: we are being destroyed
                             drain();
                             waitForEvents();
                           });
  }

  void drain() {
    alignas(inotify_event) std::array<char, 16 * (sizeof(inotify_event) + NAME_MAX + 1)> buffer;
    for (;;) {
      const ssize_t length = ::read(descriptor_.native_handle(), buffer.data(), buffer.size());
      if (length <= 0) return;  // EAGAIN: drained
      for (size_t at = 0; at + sizeof(inotify_event) <= static_cast<size_t>(length);) {
        inotify_event event;
        std::memcpy(&event, buffer.data() + at, sizeof event);
        const char* name = buffer.data() + at + sizeof(inotify_event);
        at += sizeof(inotify_event) + event.len;
        if ((event.mask & IN_Q_OVERFLOW) != 0) {
          rereadAll();
          continue;
        }
        if (event.len == 0 || (event.mask & IN_ISDIR) != 0) continue;
        auto directory = directories_.find(event.wd);
        if (directory == directories_.end()) continue;
        const std::string file(name, ::strnlen(name, event.len));
        if (directory->second.names.count(file) == 0) continue;
        const std::string path =
            (directory->second.path == "/" ? "" : directory->second.path) + "/" + file;
        std::optional<int64_t> value = 0;  // deleted or moved away: keepalived's 0
        if ((event.mask & (IN_DELETE | IN_MOVED_FROM)) == 0) value = readValue(path);
        if (value) report(path, *value);
      }
    }
  }

  void rereadAll() {
    for (auto& [path, value] : last_) {
      if (std::optional<int64_t> now = readValue(path)) report(path, *now);
    }
  }

  void report(const std::string& path, int64_t value) {
    auto it = last_.find(path);
    if (it == last_.end() || it->second == value) return;
    it->second = value;
    changed_(path, value);
  }

  boost::asio::posix::stream_descriptor descriptor_;  // closes the inotify descriptor
  Changed changed_;
  std::map<int, Directory> directories_;  // watch descriptor -> directory
  std::map<std::string, int64_t> last_;   // followed paths -> the value last reported
};

}  // namespace

std::unique_ptr<FileWatch> makeInotifyFileWatch(boost::asio::io_context& io,
                                                FileWatch::Changed changed) {
  return std::make_unique<InotifyFileWatch>(io, std::move(changed));
}

}  // namespace ha::healthcheck
