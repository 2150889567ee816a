#pragma once
// The pure half of /metrics: the node's read model in, Prometheus metric families out. Each part
// is nullopt when its thread did not answer the scrape in time; its families are then left out
// and directord_scrape_collector_success says which.
#include <optional>
#include <string>
#include <vector>

#include "director/metrics/family_set.h"
#include "director/node/director_view.h"
#include "prometheus/metric_family.h"

namespace ha::director::metrics {

struct MetricsInputs {
  std::string version;
  std::optional<DirectorSnapshot> director;  // ipvs and health families
  std::optional<vrrp::RouterSnapshot> vrrp;
  std::optional<sync::SyncSnapshot> sync;
  std::optional<ForwarderStatus> forwarder;
  std::optional<ConntrackStatus> conntrack;
};

std::vector<prometheus::MetricFamily> toFamilies(const MetricsInputs& inputs);

// One part each (ipvs_families.cc, vrrp_families.cc, ...); toFamilies calls them in this order.
void addIpvs(const DirectorSnapshot& snapshot, FamilySet& out);
void addHealth(const DirectorSnapshot& snapshot, FamilySet& out);
void addVrrp(const vrrp::RouterSnapshot& snapshot, FamilySet& out);
void addSync(const sync::SyncSnapshot& snapshot, FamilySet& out);
void addForwarder(const ForwarderStatus& status, FamilySet& out);
void addConntrack(const ConntrackStatus& status, FamilySet& out);

// node_exporter's backend labels of one real of one service.
Labels serviceLabels(const ServiceSnapshot& service);
Labels backendLabels(const ServiceSnapshot& service, const RealSnapshot& real);

}  // namespace ha::director::metrics
