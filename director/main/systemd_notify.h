#pragma once
// The production ServiceManager: sd_notify(3) to systemd (Type=notify). Without NOTIFY_SOCKET
// (not started by systemd, or Type=simple) each call is a no-op, as sd_notify makes it.
#include <optional>

#include "common/clock.h"
#include "director/node/service_manager.h"

namespace ha::director {

class SystemdNotify final : public ServiceManager {
 public:
  void ready(std::string_view status) override;
  void reloading() override;
  void stopping() override;
  void watchdog() override;
};

// WATCHDOG_USEC, when systemd set it for this process (sd_watchdog_enabled(3)); nullopt otherwise.
std::optional<Duration> systemdWatchdogPeriod();

}  // namespace ha::director
