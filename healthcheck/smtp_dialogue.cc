#include "healthcheck/smtp_dialogue.h"

#include <cctype>
#include <utility>

namespace ha::healthcheck {
namespace {

// "220 mx ESMTP" -> "220 mx ESMTP"; cut for a one-line detail, control bytes shown as '?'.
std::string quoted(std::string_view line) {
  constexpr size_t kShown = 80;
  std::string out;
  for (char c : line.substr(0, kShown)) {
    out += std::isprint(static_cast<unsigned char>(c)) != 0 ? c : '?';
  }
  if (line.size() > kShown) out += "...";
  return "\"" + out + "\"";
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

SmtpDialogue::SmtpDialogue(std::string heloName) : heloName_(std::move(heloName)) {}

std::string_view SmtpDialogue::waitingFor() const {
  switch (stage_) {
    case Stage::kBanner:
      return "the 220 banner";
    case Stage::kHelo:
      return "the reply to HELO";
    case Stage::kQuit:
      return "the reply to QUIT";
    case Stage::kDone:
      break;
  }
  return "nothing";
}

ProbeResult SmtpDialogue::closed() const {
  // After a 250 to HELO the server has shown it works; closing instead of answering QUIT is
  // impolite, not broken.
  if (stage_ == Stage::kQuit) return ProbeResult::pass();
  return ProbeResult::fail(FailureReason::kClosedEarly,
                           "connection closed while waiting for " + std::string(waitingFor()));
}

SmtpDialogue::Step SmtpDialogue::feed(std::string_view bytes) {
  Step out;
  while (!bytes.empty() && stage_ != Stage::kDone) {
    const size_t end = bytes.find('\n');
    const std::string_view piece = bytes.substr(0, end);
    if (line_.size() + piece.size() > kMaxSmtpLineBytes) {
      stage_ = Stage::kDone;
      out.verdict = ProbeResult::fail(
          FailureReason::kTooLarge, "reply line longer than " + std::to_string(kMaxSmtpLineBytes) +
                                        " bytes while waiting for " + std::string(waitingFor()));
      return out;
    }
    line_.append(piece);
    if (end == std::string_view::npos) break;
    bytes.remove_prefix(end + 1);
    std::string line = std::exchange(line_, {});
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (std::optional<Step> step = onLine(line)) {
      out.send += step->send;
      if (step->verdict) {
        out.verdict = std::move(step->verdict);
        return out;
      }
    }
  }
  return out;
}

std::optional<SmtpDialogue::Step> SmtpDialogue::onLine(std::string_view line) {
  auto malformed = [&](const std::string& why) {
    const std::string what(waitingFor());
    stage_ = Stage::kDone;
    return Step{{},
                ProbeResult::fail(FailureReason::kBadResponse,
                                  why + " " + quoted(line) + " while waiting for " + what)};
  };
  // RFC 5321 §4.2: Reply-line = *( Reply-code "-" [ textstring ] CRLF )
  //                              Reply-code [ SP textstring ] CRLF
  if (line.size() < 3 || !isDigit(line[0]) || !isDigit(line[1]) || !isDigit(line[2]) ||
      line[0] < '2' || line[0] > '5' || (line.size() > 3 && line[3] != ' ' && line[3] != '-')) {
    return malformed("not an SMTP reply line:");
  }
  const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (replyCode_ && *replyCode_ != code) {
    return malformed("reply code changed within one multi-line reply:");
  }
  const bool more = line.size() > 3 && line[3] == '-';
  if (more) {
    replyCode_ = code;
    if (++replyLines_ >= kMaxSmtpReplyLines) {
      const std::string what(waitingFor());
      stage_ = Stage::kDone;
      return Step{{},
                  ProbeResult::fail(FailureReason::kTooLarge,
                                    "reply of more than " + std::to_string(kMaxSmtpReplyLines) +
                                        " lines while waiting for " + what)};
    }
    return std::nullopt;
  }
  replyCode_.reset();
  replyLines_ = 0;
  return onReply(code, line);
}

std::optional<SmtpDialogue::Step> SmtpDialogue::onReply(int code, std::string_view text) {
  auto unexpected = [&](int wanted) {
    const std::string what(waitingFor());
    stage_ = Stage::kDone;
    return Step{{},
                ProbeResult::fail(FailureReason::kStatusMismatch,
                                  "got " + quoted(text) + " for " + what + " (expected " +
                                      std::to_string(wanted) + ")")};
  };
  switch (stage_) {
    case Stage::kBanner:
      if (code != 220) return unexpected(220);
      stage_ = Stage::kHelo;
      return Step{"HELO " + heloName_ + "\r\n", std::nullopt};
    case Stage::kHelo:
      if (code != 250) return unexpected(250);
      stage_ = Stage::kQuit;
      return Step{"QUIT\r\n", std::nullopt};
    case Stage::kQuit:
      // keepalived reads a line after QUIT and checks no code: the server answered HELO.
      stage_ = Stage::kDone;
      return Step{{}, ProbeResult::pass()};
    case Stage::kDone:
      break;
  }
  return std::nullopt;
}

}  // namespace ha::healthcheck
