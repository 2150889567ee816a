#include "common/log.h"

#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

#include "common/log_setup.h"

namespace ha::log {
namespace {

std::atomic<bool> gConsole{true};
std::atomic<bool> gJournal{false};
std::atomic<bool> gDebug{false};
std::atomic<int> gFacility{LOG_DAEMON};
std::mutex gMutex;

const char* tag(Level l) {
  switch (l) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarning: return "warning";
    case Level::kError: return "error";
  }
  return "";
}

int priority(Level l) {
  switch (l) {
    case Level::kDebug: return LOG_DEBUG;
    case Level::kInfo: return LOG_INFO;
    case Level::kWarning: return LOG_WARNING;
    case Level::kError: return LOG_ERR;
  }
  return LOG_INFO;
}

bool stderrIsJournal() {
  struct stat st {};
  if (::fstat(STDERR_FILENO, &st) != 0) return false;
  return isJournalStream(std::getenv("JOURNAL_STREAM"), static_cast<unsigned long long>(st.st_dev),
                         static_cast<unsigned long long>(st.st_ino));
}

}  // namespace

std::optional<int> parseFacility(std::string_view text) {
  constexpr int kLocal[] = {LOG_LOCAL0, LOG_LOCAL1, LOG_LOCAL2, LOG_LOCAL3,
                            LOG_LOCAL4, LOG_LOCAL5, LOG_LOCAL6, LOG_LOCAL7};
  if (text == "user") return LOG_USER;
  if (text == "daemon") return LOG_DAEMON;
  if (text.size() == 6 && text.substr(0, 5) == "local") text.remove_prefix(5);
  if (text.size() == 1 && text[0] >= '0' && text[0] <= '7') return kLocal[text[0] - '0'];
  return std::nullopt;
}

bool isJournalStream(const char* journalStream, unsigned long long device,
                     unsigned long long inode) {
  if (journalStream == nullptr) return false;
  std::string_view text(journalStream);
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  unsigned long long dev = 0, ino = 0;
  auto parse = [](std::string_view s, unsigned long long& out) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size() && !s.empty();
  };
  return parse(text.substr(0, colon), dev) && parse(text.substr(colon + 1), ino) && dev == device &&
         ino == inode;
}

std::string_view journalPrefix(Level level) {
  switch (level) {
    case Level::kDebug:
      return "<7>";
    case Level::kInfo:
      return "<6>";
    case Level::kWarning:
      return "<4>";
    case Level::kError:
      return "<3>";
  }
  return "<6>";
}

void toConsole(bool console) {
  gConsole = console;
  gJournal = console && stderrIsJournal();
  if (!console) openlog("directord", LOG_PID, gFacility.load());
}

void setDebug(bool on) { gDebug = on; }

void setFacility(int facility) { gFacility = facility; }

void write(Level level, std::string_view message) {
  if (level == Level::kDebug && !gDebug) return;
  std::string line(message);
  std::lock_guard lock(gMutex);
  if (gConsole && gJournal) {
    std::fprintf(stderr, "%s%s\n", journalPrefix(level).data(), line.c_str());
    std::fflush(stderr);
  } else if (gConsole) {
    auto now = std::chrono::system_clock::now().time_since_epoch();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
    std::fprintf(stderr, "%lld.%03lld directord %s: %s\n", static_cast<long long>(ms / 1000),
                 static_cast<long long>(ms % 1000), tag(level), line.c_str());
    std::fflush(stderr);
  } else {
    syslog(priority(level), "%s", line.c_str());
  }
}

}  // namespace ha::log
