#include "director/metrics/family_set.h"

#include <limits>

namespace ha::director::metrics {

prometheus::ClientMetric& FamilySet::sample(const FamilyDef& def, Labels labels) {
  auto [it, added] = index_.try_emplace(def.name, families_.size());
  if (added) {
    prometheus::MetricFamily& family = families_.emplace_back();
    family.name = std::string(def.name);
    family.help = std::string(def.help);
    family.type = def.type;
  }
  prometheus::ClientMetric& metric = families_[it->second].metric.emplace_back();
  metric.label = std::move(labels);
  return metric;
}

void FamilySet::add(const FamilyDef& def, Labels labels, double value) {
  prometheus::ClientMetric& metric = sample(def, std::move(labels));
  if (def.type == MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
}

void FamilySet::addHistogram(const FamilyDef& def, Labels labels,
                             const LatencyHistogram& histogram) {
  prometheus::ClientMetric& metric = sample(def, std::move(labels));
  metric.histogram.sample_count = histogram.count;
  metric.histogram.sample_sum = histogram.sumSeconds;
  uint64_t cumulative = 0;
  for (size_t i = 0; i < LatencyHistogram::kUpperBoundsSeconds.size(); ++i) {
    cumulative += histogram.counts[i];
    metric.histogram.bucket.push_back({cumulative, LatencyHistogram::kUpperBoundsSeconds[i]});
  }
  // The +Inf bucket holds every observation (the serializer writes le="+Inf").
  metric.histogram.bucket.push_back({histogram.count, std::numeric_limits<double>::infinity()});
}

std::vector<prometheus::MetricFamily> FamilySet::take() && {
  index_.clear();
  return std::move(families_);
}

Labels with(Labels base, std::string_view name, std::string value) {
  base.push_back({std::string(name), std::move(value)});
  return base;
}

}  // namespace ha::director::metrics
