// MISC_CHECK: runs misc_path (split as keepalived does, no shell) through a ProcessRunner (in
// production ChildProcessRunner, which watches it on the io_context with a pidfd and kills its
// process group at misc_timeout).
#include "healthcheck/misc_checker.h"

#include <boost/asio/post.hpp>
#include <memory>
#include <string>
#include <utility>

#include "common/child_process.h"
#include "healthcheck/checkers.h"

namespace ha::healthcheck {

ProbeResult judgeMiscExit(const ExitStatus& status, bool miscDynamic,
                          std::chrono::nanoseconds latency) {
  if (!status.started)
    return ProbeResult::fail(FailureReason::kLocalError, status.describe(), latency);
  if (status.timedOut)
    return ProbeResult::fail(FailureReason::kScriptTimeout, status.describe(), latency);
  if (status.signal != 0)
    return ProbeResult::fail(FailureReason::kScriptKilled, status.describe(), latency);
  if (status.exitCode == 0) return ProbeResult::pass(latency);
  if (miscDynamic && status.exitCode >= 2 && status.exitCode <= 255) {
    ProbeResult result = ProbeResult::pass(latency);
    result.dynamicWeight = static_cast<uint32_t>(status.exitCode - 2);
    return result;
  }
  return ProbeResult::fail(FailureReason::kScriptFailed, status.describe(), latency);
}

namespace {

class MiscChecker final : public Checker {
 public:
  MiscChecker(boost::asio::io_context& io, std::unique_ptr<ProcessRunner> runner)
      : io_(io), runner_(std::move(runner)), alive_(std::make_shared<MiscChecker*>(this)) {}

  // The runner's destructor ends every script still running and drops its callback.
  ~MiscChecker() override = default;

  void probe(const ProbeSpec& spec, Done done) override {
    const TimePoint start = Clock::now();
    std::optional<std::vector<std::string>> argv = splitCommandLine(spec.miscPath);
    if (!argv) {
      boost::asio::post(io_, [alive = std::weak_ptr(alive_), start, done = std::move(done),
                              detail = "misc_path \"" + spec.miscPath +
                                       "\": unterminated quote or trailing backslash"]() mutable {
        if (alive.expired()) return;
        done(
            ProbeResult::fail(FailureReason::kLocalError, std::move(detail), Clock::now() - start));
      });
      return;
    }
    const Duration timeout = spec.miscTimeout > Millis::zero() ? Duration(spec.miscTimeout)
                                                               : Duration(kMiscFallbackTimeout);
    runner_->run(
        std::move(*argv), timeout,
        [start, dynamic = spec.miscDynamic, done = std::move(done)](const ExitStatus& status) {
          done(judgeMiscExit(status, dynamic, Clock::now() - start));
        });
  }

 private:
  boost::asio::io_context& io_;
  std::unique_ptr<ProcessRunner> runner_;
  // Posted reports of unparsable command lines hold a weak_ptr to this.
  std::shared_ptr<MiscChecker*> alive_;
};

}  // namespace

std::unique_ptr<Checker> makeMiscChecker(boost::asio::io_context& io,
                                         std::unique_ptr<ProcessRunner> runner) {
  return std::make_unique<MiscChecker>(io, std::move(runner));
}

}  // namespace ha::healthcheck
