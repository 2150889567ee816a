#pragma once
// What the node tells its service manager (systemd Type=notify through sd_notify in production,
// director/main/systemd_notify.h; a recorder in tests): ready, reloading, stopping, a status line
// and the watchdog's "still alive".
#include <string>
#include <string_view>

#include "common/result.h"
#include "vrrp/router.h"

namespace ha::director {

class ServiceManager {
 public:
  virtual ~ServiceManager() = default;
  virtual void ready(std::string_view status) = 0;  // READY=1 with STATUS=
  virtual void reloading() = 0;                     // RELOADING=1 (and when it began)
  virtual void stopping() = 0;                      // STOPPING=1
  virtual void watchdog() = 0;                      // WATCHDOG=1
};

// STATUS= as `systemctl status` shows it: "running: 3 virtual services; VRRP MASTER on VI_1,
// BACKUP on VI_2" (or "VRRP not answering: ..." when the VRRP thread did not answer).
std::string statusLine(size_t services, const Result<vrrp::RouterSnapshot>& vrrp);

}  // namespace ha::director
