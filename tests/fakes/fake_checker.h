#pragma once
// A scripted, stateful stand-in for the production checkers (docs/style.md §3). The test owns a
// FakeChecks script; the checkers it builds (through factory(), on whatever io_context the code
// under test gives them) answer every probe from it:
//  - per target, queued one-shot results first, in order, then the target's standing result
//    (a pass until setStanding() says otherwise: "the server is down from now on");
//  - a held target keeps its probes pending (in flight) until release(), to test overlap, slow
//    checks and results that land after a reload;
//  - every probe is recorded with its spec.
// Like a real checker it answers through the io_context, never inside probe(), and drops
// pending answers when destroyed. Thread-safe: the test scripts from its own thread while the
// health thread probes.
#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "healthcheck/checker.h"

namespace ha::test {

// "TCP_CHECK 198.51.100.11:80", "HTTP_GET 198.51.100.11:80", "MISC_CHECK /usr/bin/check x":
// how the script names a probe's target.
std::string probeTarget(const healthcheck::ProbeSpec& spec);

class FakeChecks {
 public:
  struct Record {
    std::string target;
    healthcheck::ProbeSpec spec;
    TimePoint at;  // steady clock when probe() was called
  };

  FakeChecks();
  ~FakeChecks();
  FakeChecks(const FakeChecks&) = delete;
  FakeChecks& operator=(const FakeChecks&) = delete;

  std::unique_ptr<healthcheck::Checker> makeChecker(boost::asio::io_context& io);
  // For healthcheck::Service::start(); the script outlives nothing: checkers share it.
  std::function<std::unique_ptr<healthcheck::Checker>(boost::asio::io_context&)> factory();

  void queue(const std::string& target, healthcheck::ProbeResult result);
  void setStanding(const std::string& target, healthcheck::ProbeResult result);
  void hold(const std::string& target);
  // Stops holding `target` and answers its pending probes (with their next results); returns
  // how many were pending.
  size_t release(const std::string& target);
  size_t pending(const std::string& target) const;

  std::vector<Record> probes() const;
  size_t probeCount(const std::string& target) const;

 private:
  struct Shared;
  class Checker;
  std::shared_ptr<Shared> shared_;
};

}  // namespace ha::test
