#include "tests/fakes/fake_health_control.h"

#include <utility>

namespace ha::test {

using healthcheck::HealthEvent;
using healthcheck::QuorumVerdict;
using healthcheck::RealVerdict;

Result<std::vector<HealthEvent>> FakeHealthControl::apply(const healthcheck::HealthConfig& config) {
  ++applies_;
  if (!failNext_.empty()) {
    std::string message = std::move(failNext_);
    failNext_.clear();
    return Error{std::move(message)};
  }
  std::map<healthcheck::RealKey, RealVerdict> reals;
  std::map<healthcheck::ServiceKey, bool> quorum;
  std::vector<HealthEvent> verdicts;
  for (const auto& vs : config.virtualServers) {
    for (const auto& real : vs.reals) {
      auto known = reals_.find(real.key);
      RealVerdict verdict{real.key, !vs.alpha, std::nullopt,
                          vs.alpha ? "alpha: not checked yet" : ""};
      if (known != reals_.end()) verdict = known->second;
      reals[real.key] = verdict;
      verdicts.emplace_back(verdict);
    }
    auto known = quorum_.find(vs.key);
    quorum[vs.key] = known == quorum_.end() ? true : known->second;
    verdicts.emplace_back(QuorumVerdict{vs.key, quorum[vs.key]});
  }
  reals_ = std::move(reals);
  quorum_ = std::move(quorum);
  config_ = config;
  return verdicts;
}

Result<healthcheck::HealthSnapshot> FakeHealthControl::snapshot() {
  healthcheck::HealthSnapshot snap;
  for (const auto& [key, verdict] : reals_) {
    healthcheck::RealStatus status;
    status.key = key;
    status.up = verdict.up;
    status.reason = verdict.reason;
    snap.reals.push_back(std::move(status));
  }
  for (const auto& [key, up] : quorum_) {
    healthcheck::ServiceStatus status;
    status.key = key;
    status.quorumUp = up;
    snap.services.push_back(status);
  }
  return snap;
}

std::vector<HealthEvent> FakeHealthControl::setReal(const healthcheck::RealKey& key, bool up,
                                                    std::string reason) {
  RealVerdict next{key, up, std::nullopt, up ? std::string() : std::move(reason)};
  auto [it, inserted] = reals_.try_emplace(key, next);
  if (!inserted && it->second == next) return {};
  it->second = next;
  return {next};
}

std::vector<HealthEvent> FakeHealthControl::setQuorum(const healthcheck::ServiceKey& key, bool up) {
  auto [it, inserted] = quorum_.try_emplace(key, up);
  if (!inserted && it->second == up) return {};
  it->second = up;
  return {QuorumVerdict{key, up}};
}

}  // namespace ha::test
