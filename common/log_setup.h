#pragma once
// How directord's log reaches its reader (common/log.h writes the lines): keepalived's
// -S/--log-facility for syslog, and the journal. On the console, when stderr is systemd's journal
// stream (JOURNAL_STREAM names it), each line carries its sd-daemon priority prefix ("<3>" for
// errors) instead of a time stamp, so journald keeps the priority (`journalctl -p warning`) and
// adds its own time. Its own header so that the many users of log.h do not depend on it.
#include <optional>
#include <string_view>

#include "common/log.h"

namespace ha::log {

// The syslog facility (LOG_DAEMON by default); takes effect at the next toConsole(false).
void setFacility(int facility);

// keepalived's -S/--log-facility: "0".."7" are LOG_LOCAL0..LOG_LOCAL7, and the names "local0"..
// "local7", "user", "daemon". nullopt for anything else.
std::optional<int> parseFacility(std::string_view text);
// JOURNAL_STREAM is "DEV:INODE" of the journal's stream socket (systemd.exec(5)); stderr goes to
// the journal when its fstat() matches. `journalStream` may be null (not set).
bool isJournalStream(const char* journalStream, unsigned long long device,
                     unsigned long long inode);
// "<3>" for kError ... "<7>" for kDebug (sd-daemon(3)'s SD_ERR ... SD_DEBUG).
std::string_view journalPrefix(Level level);

}  // namespace ha::log
