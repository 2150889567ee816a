#pragma once
// The thin half of /metrics: on each scrape (a civetweb thread of the Exposer) ask the node's read
// model, each part answered by its own thread within its deadline, and convert (families.h).
#include <mutex>
#include <string>
#include <vector>

#include "director/node/director_view.h"
#include "prometheus/collectable.h"

namespace ha::director::metrics {

class NodeCollector final : public prometheus::Collectable {
 public:
  explicit NodeCollector(std::string version) : version_(std::move(version)) {}

  // The node once it started; null detaches it, waiting for a scrape that is using it. Until
  // attached a scrape shows build info and every collector failed.
  void attach(DirectorView* view);

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const std::string version_;
  mutable std::mutex mutex_;  // held through a scrape: attach(nullptr) waits for it
  DirectorView* view_ = nullptr;
};

}  // namespace ha::director::metrics
