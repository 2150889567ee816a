// keepalived's -S facilities, the journal stream test (JOURNAL_STREAM against stderr's dev:ino)
// and the sd-daemon priority prefixes.
#include <gtest/gtest.h>
#include <syslog.h>

#include "common/log_setup.h"

namespace ha::log {
namespace {

// 0-7 and local0-7 are LOG_LOCAL0..7; user and daemon by name; anything else refused.
TEST(Log, FacilitiesAsKeepalived) {
  EXPECT_EQ(parseFacility("0"), LOG_LOCAL0);
  EXPECT_EQ(parseFacility("7"), LOG_LOCAL7);
  EXPECT_EQ(parseFacility("local3"), LOG_LOCAL3);
  EXPECT_EQ(parseFacility("user"), LOG_USER);
  EXPECT_EQ(parseFacility("daemon"), LOG_DAEMON);
  for (const char* bad : {"8", "local8", "local", "", "kern", "01", "-1"})
    EXPECT_FALSE(parseFacility(bad)) << bad;
}

// Only an exact DEV:INODE match means stderr is the journal.
TEST(Log, JournalStreamMatchesDevAndInode) {
  EXPECT_TRUE(isJournalStream("8:12345", 8, 12345));
  EXPECT_FALSE(isJournalStream("8:12345", 8, 12346));
  EXPECT_FALSE(isJournalStream("9:12345", 8, 12345));
  EXPECT_FALSE(isJournalStream(nullptr, 8, 12345));
  EXPECT_FALSE(isJournalStream("8", 8, 12345));
  EXPECT_FALSE(isJournalStream("8:12345x", 8, 12345));
  EXPECT_FALSE(isJournalStream(":", 0, 0));
}

// sd-daemon(3): SD_ERR "<3>", SD_WARNING "<4>", SD_INFO "<6>", SD_DEBUG "<7>".
TEST(Log, JournalPrefixes) {
  EXPECT_EQ(journalPrefix(Level::kError), "<3>");
  EXPECT_EQ(journalPrefix(Level::kWarning), "<4>");
  EXPECT_EQ(journalPrefix(Level::kInfo), "<6>");
  EXPECT_EQ(journalPrefix(Level::kDebug), "<7>");
}

}  // namespace
}  // namespace ha::log
