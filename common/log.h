#pragma once
// Minimal logging: console (-l) or syslog, keepalived-style. One line per call, thread-safe.
#include <string_view>

namespace ha::log {

enum class Level { kDebug, kInfo, kWarning, kError };

void toConsole(bool console);  // false: syslog as "directord"
void setDebug(bool on);
void write(Level level, std::string_view message);

inline void info(std::string_view m) { write(Level::kInfo, m); }
inline void warning(std::string_view m) { write(Level::kWarning, m); }
inline void error(std::string_view m) { write(Level::kError, m); }
inline void debug(std::string_view m) { write(Level::kDebug, m); }

}  // namespace ha::log
