#include "director/node/dump_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "common/log.h"
#include "director/node/keepalived_dump.h"

namespace ha::director {
namespace {

std::string errnoText(int e) { return std::strerror(e); }

}  // namespace

Status writeFileAtomically(const std::string& path, std::string_view text) {
  std::string pattern = path + ".XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  const int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) return Error{"create a temp file beside " + path + ": " + errnoText(errno)};
  const std::string tmp(name.data());
  auto fail = [&](const std::string& what) {
    const int e = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return Error{what + " " + tmp + ": " + errnoText(e)};
  };
  // Readable by all, as keepalived's dumps are: exporters often run unprivileged.
  if (::fchmod(fd, 0644) != 0) return fail("chmod");
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("write");
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    return Error{"close " + tmp + ": " + errnoText(e)};
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    return Error{"rename " + tmp + " to " + path + ": " + errnoText(e)};
  }
  return okStatus();
}

DumpWriter::DumpWriter(DirectorView& view, std::string directory)
    : view_(view), directory_(std::move(directory)), thread_([this] { run(); }) {}

DumpWriter::~DumpWriter() { stop(); }

void DumpWriter::request(DumpKind kind) {
  {
    std::lock_guard lock(mutex_);
    (kind == DumpKind::kData ? dataWanted_ : statsWanted_) = true;
  }
  wake_.notify_one();
}

void DumpWriter::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

std::string DumpWriter::pathOf(DumpKind kind) const {
  return directory_ + "/" + std::string(kind == DumpKind::kData ? kDataDumpFile : kStatsDumpFile);
}

void DumpWriter::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || dataWanted_ || statsWanted_; });
    if (stopping_) return;
    const DumpKind kind = dataWanted_ ? DumpKind::kData : DumpKind::kStats;
    (kind == DumpKind::kData ? dataWanted_ : statsWanted_) = false;
    lock.unlock();
    write(kind);
    lock.lock();
  }
}

void DumpWriter::write(DumpKind kind) {
  std::string text;
  if (kind == DumpKind::kData) {
    DumpInputs inputs{view_.snapshot(), view_.vrrpSnapshot(), view_.syncSnapshot(),
                      std::chrono::system_clock::now()};
    text = dataDumpText(inputs);
  } else {
    text = statsDumpText(view_.vrrpSnapshot());
  }
  const std::string path = pathOf(kind);
  if (auto st = writeFileAtomically(path, text); !st) {
    log::error("dump not written: " + st.error());
    return;
  }
  log::info("wrote " + path);
}

}  // namespace ha::director
