#include "director/metrics/node_collector.h"

#include "common/log.h"
#include "director/metrics/families.h"

namespace ha::director::metrics {
namespace {

// A part that did not answer is left out of this scrape; the reason is in the debug log (the
// timeouts themselves are counted in directord_cross_thread_timeouts_total).
template <typename T>
std::optional<T> answered(std::string_view part, Result<T> result) {
  if (result) return std::move(result.value());
  log::debug("metrics: " + std::string(part) + " left out of this scrape: " + result.error());
  return std::nullopt;
}

}  // namespace

void NodeCollector::attach(DirectorView* view) {
  std::lock_guard lock(mutex_);
  view_ = view;
}

std::vector<prometheus::MetricFamily> NodeCollector::Collect() const {
  std::lock_guard lock(mutex_);
  MetricsInputs inputs;
  inputs.version = version_;
  if (view_ != nullptr) {
    inputs.director = answered("ipvs", view_->snapshot());
    inputs.vrrp = answered("vrrp", view_->vrrpSnapshot());
    inputs.sync = answered("sync", view_->syncSnapshot());
    inputs.forwarder = answered("forwarder", view_->forwarderStatus());
    inputs.conntrack = answered("conntrack", view_->conntrackStatus());
  }
  return toFamilies(inputs);
}

}  // namespace ha::director::metrics
