#pragma once
// Collects samples into Prometheus metric families, one family per FamilyDef, in the order the
// families were first used. Families without a sample are left out (an instance-less node has
// no vrrp families, as node_exporter has no ipvs ones without IPVS).
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/latency_histogram.h"
#include "director/metrics/metric_names.h"
#include "prometheus/metric_family.h"

namespace ha::director::metrics {

using Labels = std::vector<prometheus::ClientMetric::Label>;

class FamilySet {
 public:
  // A counter or gauge sample, as the family's type says.
  void add(const FamilyDef& def, Labels labels, double value);
  void add(const FamilyDef& def, Labels labels, uint64_t value) {
    add(def, std::move(labels), static_cast<double>(value));
  }
  void addHistogram(const FamilyDef& def, Labels labels, const LatencyHistogram& histogram);

  std::vector<prometheus::MetricFamily> take() &&;

 private:
  prometheus::ClientMetric& sample(const FamilyDef& def, Labels labels);

  std::vector<prometheus::MetricFamily> families_;
  std::map<std::string_view, size_t> index_;  // FamilyDef names are static strings
};

// `base` with one more label.
Labels with(Labels base, std::string_view name, std::string value);

}  // namespace ha::director::metrics
