#pragma once
// The watchdog feeder (liveness.h is its judgement): a thread that, every period/4, posts a
// heartbeat to each io_context thread and feeds systemd only while every heartbeat ran recently.
#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "director/node/liveness.h"

namespace ha::director {

// Runs `work` on one io_context thread, posted (does not wait).
using LoopPoster = std::function<void(std::function<void()> work)>;

struct WatchedLoop {
  std::string name;
  LoopPoster post;
};

// --debug-hang-loop=NAME:AFTER:FOR, a test aid for the watchdog
// (tests/netns/test_systemd_notify.sh): AFTER the start, one handler that sleeps FOR is posted to
// the loop NAME, which is then as stuck as a loop in a hung syscall. Documented in `directord
// --help`; it changes nothing else.
struct HangDrill {
  std::string loop;
  Duration after{};
  Duration hangFor{};
};
// "health:3:4" -> {health, 3 s, 4 s}; an error naming what is wrong otherwise.
std::optional<HangDrill> parseHangDrill(const std::string& text, std::string& why);

class Watchdog {
 public:
  // `feed` runs on the watchdog thread (sd_notify "WATCHDOG=1"). `period` is WATCHDOG_USEC.
  Watchdog(std::vector<WatchedLoop> loops, Duration period, std::function<void()> feed,
           std::optional<HangDrill> drill = std::nullopt);
  ~Watchdog();  // stop()
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  void stop();

 private:
  void run();
  void tick(TimePoint now);

  // Written by the heartbeats on their loops, read by the watchdog thread; shared so that a
  // heartbeat still queued on a loop when the watchdog is gone writes into live memory.
  struct Stamps {
    Stamps(size_t n, TimePoint start) : lastRunNs(n) {
      for (auto& s : lastRunNs) s.store(start.time_since_epoch().count());
    }
    std::vector<std::atomic<Duration::rep>> lastRunNs;  // Clock ticks
  };

  std::vector<WatchedLoop> loops_;
  const Duration period_;
  std::function<void()> feed_;
  std::optional<HangDrill> drill_;
  TimePoint started_;
  std::shared_ptr<Stamps> stamps_;
  std::vector<StaleLoop> stale_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;  // last: started once the rest is ready
};

}  // namespace ha::director
