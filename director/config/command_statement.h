#pragma once
// Statements that name a program to run: notify_up/notify_down, quorum_up/quorum_down and
// MISC_CHECK's misc_path. The command line is split later the way keepalived does
// (common/child_process.h splitCommandLine); a line that cannot split (an unterminated quote, a
// trailing backslash) or names no program is refused here, at its file:line, rather than failing
// each time it runs.
#include <optional>
#include <string>
#include <string_view>

#include "director/config/config_tree.h"
#include "director/config/diagnostic_sink.h"

namespace ha::director::config {

// `KEYWORD "CMD ARGS" [USER [GROUP]]`: the first argument is the command line, as keepalived's
// notify_script_init reads it; USER/GROUP are ignored with a warning (scripts run as root).
// `owner` names the block for messages ("real_server 10.0.0.1:80").
std::optional<std::string> notifyCommandArg(const Node& node, std::string_view owner,
                                            DiagnosticSink& sink);

// `misc_path CMD ARGS...` or `misc_path "CMD ARGS"`: keepalived 2.x takes the rest of the line as
// the command line. Words the lexer unquoted cannot be told apart from separate words, so a word
// holding whitespace (it was quoted) among several is refused: quote the whole line instead.
std::optional<std::string> miscPathArg(const Node& node, std::string_view owner,
                                       DiagnosticSink& sink);

}  // namespace ha::director::config
