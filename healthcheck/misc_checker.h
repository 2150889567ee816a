#pragma once
// MISC_CHECK's verdict on a finished script, apart from running it (misc_checker.cc), so every
// exit rule is testable without a process.
#include <chrono>

#include "common/process_runner.h"
#include "healthcheck/checker.h"

namespace ha::healthcheck {

// What misc_timeout 0 ("delay_loop", filled in by the config parser) falls back to if it reaches
// the checker unfilled: keepalived's default connect_timeout.
constexpr Millis kMiscFallbackTimeout{5000};

// keepalived's check_misc.c: exit 0 passes; with misc_dynamic, exit 2..255 passes and sets the
// weight to code - 2; any other exit is kScriptFailed. Timed out -> kScriptTimeout, killed by a
// signal -> kScriptKilled, never started -> kLocalError. Details are ExitStatus::describe().
ProbeResult judgeMiscExit(const ExitStatus& status, bool miscDynamic,
                          std::chrono::nanoseconds latency);

}  // namespace ha::healthcheck
