// SMTP_CHECK's conversation without a socket: the keepalived dialogue, multi-line replies, bytes
// split anywhere, wrong codes, malformed and endless lines.
#include "healthcheck/smtp_dialogue.h"

#include <gtest/gtest.h>

#include <string>

namespace ha::healthcheck {
namespace {

// The whole dialogue passes: 220 -> HELO, 250 -> QUIT, 221 -> pass.
TEST(SmtpDialogue, KeepalivedConversationPasses) {
  SmtpDialogue d("foo.bar.com");
  auto s = d.feed("220 mta1 ESMTP\r\n");
  EXPECT_EQ(s.send, "HELO foo.bar.com\r\n");
  EXPECT_FALSE(s.verdict);
  s = d.feed("250 mta1 Hello foo.bar.com\r\n");
  EXPECT_EQ(s.send, "QUIT\r\n");
  EXPECT_FALSE(s.verdict);
  s = d.feed("221 2.0.0 closing\r\n");
  ASSERT_TRUE(s.verdict);
  EXPECT_TRUE(s.verdict->ok);
}

// Multi-line replies (RFC 5321 §4.2: "250-..." continues) are read to their last line, and
// bytes may arrive split anywhere, bare LF included.
TEST(SmtpDialogue, MultiLineRepliesAndSplitReads) {
  SmtpDialogue d("h");
  EXPECT_TRUE(d.feed("220-mx.example ESMTP\r\n220-second line").send.empty());
  auto s = d.feed("\r\n220 ready\n");
  EXPECT_EQ(s.send, "HELO h\r\n");
  EXPECT_TRUE(d.feed("25").send.empty());
  EXPECT_TRUE(d.feed("0-mx says hi\r\n250-PIPELINING\r").send.empty());
  s = d.feed("\n250 SIZE 1000\r\n");
  EXPECT_EQ(s.send, "QUIT\r\n");
  s = d.feed("221 bye\r\n");
  ASSERT_TRUE(s.verdict);
  EXPECT_TRUE(s.verdict->ok);
}

// A banner other than 220 and a HELO reply other than 250 fail with what came and what was due.
TEST(SmtpDialogue, WrongCodesFail) {
  SmtpDialogue busy("h");
  auto s = busy.feed("554 5.3.2 busy\r\n");
  ASSERT_TRUE(s.verdict);
  EXPECT_EQ(s.verdict->reason, FailureReason::kStatusMismatch);
  EXPECT_EQ(s.verdict->detail, "got \"554 5.3.2 busy\" for the 220 banner (expected 220)");

  SmtpDialogue refused("h");
  refused.feed("220 ok\r\n");
  s = refused.feed("501-syntax\r\n501 error\r\n");
  ASSERT_TRUE(s.verdict);
  EXPECT_EQ(s.verdict->reason, FailureReason::kStatusMismatch);
  EXPECT_EQ(s.verdict->detail, "got \"501 error\" for the reply to HELO (expected 250)");
}

// Lines that are not SMTP replies, or change code mid-reply, are bad responses.
TEST(SmtpDialogue, MalformedRepliesFail) {
  for (const char* input :
       {"HTTP/1.1 400 Bad Request\r\n", "22\r\n", "220x\r\n", "999 x\r\n", "220-a\r\n250 b\r\n"}) {
    SmtpDialogue d("h");
    auto s = d.feed(input);
    ASSERT_TRUE(s.verdict) << input;
    EXPECT_EQ(s.verdict->reason, FailureReason::kBadResponse) << input;
    EXPECT_NE(s.verdict->detail.find("the 220 banner"), std::string::npos) << s.verdict->detail;
  }
}

// An endless line or an endless multi-line reply is cut off: bounded memory.
TEST(SmtpDialogue, EndlessInputIsBounded) {
  SmtpDialogue line("h");
  SmtpDialogue::Step s;
  for (int i = 0; i < 10 && !s.verdict; ++i) s = line.feed(std::string(1000, 'a'));
  ASSERT_TRUE(s.verdict);
  EXPECT_EQ(s.verdict->reason, FailureReason::kTooLarge);

  SmtpDialogue lines("h");
  std::string many;
  for (size_t i = 0; i < kMaxSmtpReplyLines + 1; ++i) many += "220-more\r\n";
  s = lines.feed(many);
  ASSERT_TRUE(s.verdict);
  EXPECT_EQ(s.verdict->reason, FailureReason::kTooLarge);
}

// A close before the HELO reply fails; a close instead of answering QUIT passes (HELO got 250).
TEST(SmtpDialogue, CloseDependsOnTheStage) {
  SmtpDialogue early("h");
  early.feed("220 ok\r\n");
  EXPECT_EQ(early.closed().reason, FailureReason::kClosedEarly);
  EXPECT_EQ(early.closed().detail, "connection closed while waiting for the reply to HELO");
  SmtpDialogue late("h");
  late.feed("220 ok\r\n250 ok\r\n");
  EXPECT_TRUE(late.closed().ok);
}

}  // namespace
}  // namespace ha::healthcheck
