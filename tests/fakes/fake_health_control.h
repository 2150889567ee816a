#pragma once
// A stateful stand-in for the health thread as the node sees it (healthcheck::Control): it keeps
// the latest verdict of every configured real and virtual server the way the engine does across
// a reload (known keys keep their verdict, new reals start up, or down with alpha), and the test
// decides when a verdict changes. setReal()/setQuorum() return the events the listener would
// have delivered, for the test to hand to Node::onHealthEvents. Single-threaded: no health thread.
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "healthcheck/control.h"

namespace ha::test {

class FakeHealthControl final : public healthcheck::Control {
 public:
  Result<std::vector<healthcheck::HealthEvent>> apply(
      const healthcheck::HealthConfig& config) override;
  void shutdown() override { ++shutdowns_; }
  Result<healthcheck::HealthSnapshot> snapshot() override;
  // No health thread: the caller's thread is the one that turns.
  void runOnThread(std::function<void()> work) override { work(); }

  // The verdict changes (as the engine would report it): empty when it equals the known one.
  std::vector<healthcheck::HealthEvent> setReal(const healthcheck::RealKey& key, bool up,
                                                std::string reason = {});
  std::vector<healthcheck::HealthEvent> setQuorum(const healthcheck::ServiceKey& key, bool up);
  // The next apply() fails with `message` (the health thread did not answer) and changes nothing.
  void failNextApply(std::string message) { failNext_ = std::move(message); }

  size_t applies() const { return applies_; }
  size_t shutdowns() const { return shutdowns_; }
  const std::optional<healthcheck::HealthConfig>& lastConfig() const { return config_; }

 private:
  std::map<healthcheck::RealKey, healthcheck::RealVerdict> reals_;
  std::map<healthcheck::ServiceKey, bool> quorum_;
  std::optional<healthcheck::HealthConfig> config_;
  std::string failNext_;
  size_t applies_ = 0;
  size_t shutdowns_ = 0;
};

}  // namespace ha::test
