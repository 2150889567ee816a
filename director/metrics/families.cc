#include "director/metrics/families.h"

namespace ha::director::metrics {

std::vector<prometheus::MetricFamily> toFamilies(const MetricsInputs& inputs) {
  FamilySet out;
  out.add(kBuildInfo, {{"version", inputs.version}}, 1.0);
  auto collected = [&out](std::string_view part, bool answered) {
    out.add(kCollectorSuccess, {{"collector", std::string(part)}}, answered ? 1.0 : 0.0);
  };
  collected("ipvs", inputs.director.has_value());
  collected("vrrp", inputs.vrrp.has_value());
  collected("sync", inputs.sync.has_value());
  collected("forwarder", inputs.forwarder.has_value());
  collected("conntrack", inputs.conntrack.has_value());
  if (inputs.director) {
    addIpvs(*inputs.director, out);
    addHealth(*inputs.director, out);
  }
  if (inputs.vrrp) addVrrp(*inputs.vrrp, out);
  if (inputs.sync) addSync(*inputs.sync, out);
  if (inputs.forwarder) addForwarder(*inputs.forwarder, out);
  if (inputs.conntrack) addConntrack(*inputs.conntrack, out);
  return std::move(out).take();
}

}  // namespace ha::director::metrics
