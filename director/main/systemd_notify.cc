#include "director/main/systemd_notify.h"

#include <systemd/sd-daemon.h>

#include <cstdint>
#include <ctime>
#include <string>

#include "common/log.h"

namespace ha::director {
namespace {

void notify(const std::string& state) {
  // unset_environment = 0: the watchdog and later notifications use NOTIFY_SOCKET too.
  if (int r = sd_notify(0, state.c_str()); r < 0) {
    log::warning("sd_notify(" + state.substr(0, state.find('\n')) + "): error " +
                 std::to_string(-r));
  }
}

// systemd.service(5) Type=notify-reload wants the CLOCK_MONOTONIC time of the reload's start.
uint64_t monotonicMicroseconds() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000U + static_cast<uint64_t>(ts.tv_nsec) / 1000U;
}

}  // namespace

void SystemdNotify::ready(std::string_view status) {
  notify("READY=1\nSTATUS=" + std::string(status));
}

void SystemdNotify::reloading() {
  notify("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonicMicroseconds()) +
         "\nSTATUS=reloading");
}

void SystemdNotify::stopping() { notify("STOPPING=1\nSTATUS=stopping"); }

void SystemdNotify::watchdog() { notify("WATCHDOG=1"); }

std::optional<Duration> systemdWatchdogPeriod() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::duration_cast<Duration>(std::chrono::microseconds(usec));
}

}  // namespace ha::director
