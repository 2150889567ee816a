#include "common/log.h"

#include <syslog.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>

namespace ha::log {
namespace {

std::atomic<bool> gConsole{true};
std::atomic<bool> gDebug{false};
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

}  // namespace

void toConsole(bool console) {
  gConsole = console;
  if (!console) openlog("directord", LOG_PID, LOG_DAEMON);
}

void setDebug(bool on) { gDebug = on; }

void write(Level level, std::string_view message) {
  if (level == Level::kDebug && !gDebug) return;
  std::string line(message);
  std::lock_guard lock(gMutex);
  if (gConsole) {
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
