#pragma once
// SMTP_CHECK's conversation (keepalived 2.2.7's check_smtp.c), pure: bytes from the server in,
// the line to send and the verdict out. No socket, no clock (docs/style.md §1).
//
//   connect ─► 220 banner ─► "HELO <helo_name>" ─► 250 ─► "QUIT" ─► any reply, or the close: pass
//
// Replies follow RFC 5321 §4.2: `CODE SP text` ends a reply, `CODE-text` continues it, every
// line of one reply carries the same code. A line ends at LF (keepalived's test; CRLF is the
// standard's). Memory is bounded: one line of kMaxSmtpLineBytes, kMaxSmtpReplyLines per reply.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "healthcheck/checker.h"

namespace ha::healthcheck {

// RFC 5321 §4.5.3.1.5 allows 512 bytes a reply line; real servers go past it in banners, so a
// few times that, and no more: a peer streaming one endless line cannot grow our memory.
inline constexpr size_t kMaxSmtpLineBytes = 4096;
inline constexpr size_t kMaxSmtpReplyLines = 64;

class SmtpDialogue {
 public:
  explicit SmtpDialogue(std::string heloName);

  struct Step {
    std::string send;                    // a line to send now (with CRLF), or empty
    std::optional<ProbeResult> verdict;  // the probe is decided
  };
  // Bytes read from the server; they may hold several lines, or part of one.
  Step feed(std::string_view bytes);
  // The server closed the connection (EOF) before a verdict.
  ProbeResult closed() const;
  // What we were waiting for, for a timeout's detail: "the 220 banner", "the reply to HELO", ...
  std::string_view waitingFor() const;

 private:
  enum class Stage : uint8_t { kBanner, kHelo, kQuit, kDone };
  // One complete line (without its end); a verdict when it decides.
  std::optional<Step> onLine(std::string_view line);
  std::optional<Step> onReply(int code, std::string_view text);

  std::string heloName_;
  Stage stage_ = Stage::kBanner;
  std::string line_;              // the partial line
  std::optional<int> replyCode_;  // of a multi-line reply in progress
  size_t replyLines_ = 0;
};

}  // namespace ha::healthcheck
