#include "tests/fakes/fake_checker.h"

#include <boost/asio/post.hpp>
#include <algorithm>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <utility>

namespace ha::test {

using healthcheck::ProbeResult;
using healthcheck::ProbeSpec;

std::string probeTarget(const ProbeSpec& spec) {
  std::string target(healthcheck::checkKindName(spec.kind));
  target += " ";
  target += spec.kind == healthcheck::CheckKind::kMisc ? spec.miscPath
                                                       : formatEndpoint(spec.address, spec.port);
  return target;
}

struct FakeChecks::Shared {
  struct Pending {
    std::string target;
    healthcheck::Checker::Done done;
    boost::asio::io_context* io = nullptr;
    const void* owner = nullptr;  // the FakeChecks::Checker that took the probe
    std::weak_ptr<int> alive;
  };

  // Callers hold `mutex`.
  ProbeResult nextResult(const std::string& target) {
    auto queued = queues.find(target);
    if (queued != queues.end() && !queued->second.empty()) {
      ProbeResult result = std::move(queued->second.front());
      queued->second.pop_front();
      return result;
    }
    auto standingResult = standing.find(target);
    return standingResult != standing.end() ? standingResult->second : ProbeResult::pass();
  }

  static void answer(boost::asio::io_context& io, healthcheck::Checker::Done done,
                     ProbeResult result, std::weak_ptr<int> alive) {
    boost::asio::post(io, [done = std::move(done), result = std::move(result),
                           alive = std::move(alive)]() mutable {
      if (alive.lock()) done(std::move(result));
    });
  }

  mutable std::mutex mutex;
  std::map<std::string, std::deque<ProbeResult>> queues;
  std::map<std::string, ProbeResult> standing;
  std::set<std::string> held;
  std::vector<Pending> pending;
  std::vector<Record> records;
};

class FakeChecks::Checker final : public healthcheck::Checker {
 public:
  Checker(std::shared_ptr<Shared> shared, boost::asio::io_context& io)
      : shared_(std::move(shared)), io_(io) {}

  // Like a real checker: pending answers die with it.
  ~Checker() override {
    std::lock_guard lock(shared_->mutex);
    auto& pending = shared_->pending;
    pending.erase(std::remove_if(pending.begin(), pending.end(),
                                 [this](const Shared::Pending& p) { return p.owner == this; }),
                  pending.end());
  }

  void probe(const ProbeSpec& spec, Done done) override {
    std::string target = probeTarget(spec);
    std::lock_guard lock(shared_->mutex);
    shared_->records.push_back(Record{target, spec, Clock::now()});
    if (shared_->held.count(target) != 0) {
      shared_->pending.push_back(Shared::Pending{std::move(target), std::move(done), &io_, this, alive_});
      return;
    }
    Shared::answer(io_, std::move(done), shared_->nextResult(target), alive_);
  }

 private:
  std::shared_ptr<Shared> shared_;
  boost::asio::io_context& io_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

FakeChecks::FakeChecks() : shared_(std::make_shared<Shared>()) {}
FakeChecks::~FakeChecks() = default;

std::unique_ptr<healthcheck::Checker> FakeChecks::makeChecker(boost::asio::io_context& io) {
  return std::make_unique<Checker>(shared_, io);
}

std::function<std::unique_ptr<healthcheck::Checker>(boost::asio::io_context&)> FakeChecks::factory() {
  return [shared = shared_](boost::asio::io_context& io) -> std::unique_ptr<healthcheck::Checker> {
    return std::make_unique<Checker>(shared, io);
  };
}

void FakeChecks::queue(const std::string& target, ProbeResult result) {
  std::lock_guard lock(shared_->mutex);
  shared_->queues[target].push_back(std::move(result));
}

void FakeChecks::setStanding(const std::string& target, ProbeResult result) {
  std::lock_guard lock(shared_->mutex);
  shared_->standing[target] = std::move(result);
}

void FakeChecks::hold(const std::string& target) {
  std::lock_guard lock(shared_->mutex);
  shared_->held.insert(target);
}

size_t FakeChecks::release(const std::string& target) {
  std::lock_guard lock(shared_->mutex);
  shared_->held.erase(target);
  size_t released = 0;
  auto& pending = shared_->pending;
  for (auto it = pending.begin(); it != pending.end();) {
    if (it->target != target) {
      ++it;
      continue;
    }
    Shared::answer(*it->io, std::move(it->done), shared_->nextResult(target), it->alive);
    it = pending.erase(it);
    ++released;
  }
  return released;
}

size_t FakeChecks::pending(const std::string& target) const {
  std::lock_guard lock(shared_->mutex);
  return static_cast<size_t>(std::count_if(shared_->pending.begin(), shared_->pending.end(),
                                           [&](const Shared::Pending& p) { return p.target == target; }));
}

std::vector<FakeChecks::Record> FakeChecks::probes() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->records;
}

size_t FakeChecks::probeCount(const std::string& target) const {
  std::lock_guard lock(shared_->mutex);
  return static_cast<size_t>(std::count_if(shared_->records.begin(), shared_->records.end(),
                                           [&](const Record& r) { return r.target == target; }));
}

}  // namespace ha::test
