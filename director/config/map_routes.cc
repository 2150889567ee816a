// static_routes, static_rules (top level) and an instance's virtual_routes, virtual_rules:
// keepalived 2.2.7's grammar (route_grammar.h), one owner per route or rule.
#include <map>
#include <string>
#include <variant>

#include "director/config/config_mapper.h"
#include "director/config/node_rules.h"

namespace ha::director::config {
namespace {

constexpr std::string_view kTrackingNote =
    "keepalived watches routes and rules with a device after adding them (it re-adds a deleted "
    "static one, and an instance leaves MASTER when one of its virtual ones is deleted, unless "
    "no_track); directord adds and removes them but does not watch them";

bool blockHeader(const Node& node, std::string_view usage, DiagnosticSink& sink) {
  return checkArgs(node, 0, 0, usage, sink) && checkHasBlock(node, sink);
}

// One warning per block with entries keepalived would track (a device and no no_track).
void noteTracking(const Node& block, bool tracked, DiagnosticSink& sink) {
  if (tracked) sink.warning(block.where, block.keyword + ": " + std::string(kTrackingNote));
}

bool tracks(const RouteLine& l) { return !l.noTrack && !l.spec.dev.empty(); }
bool tracks(const RuleLine& l) { return !l.noTrack && !l.spec.iif.empty(); }

}  // namespace

void mapStaticRoutes(const Node& node, MappedConfig& out, DiagnosticSink& sink) {
  if (!blockHeader(node, "static_routes { ROUTE ... }", sink)) return;
  bool tracked = false;
  for (const Node& entry : node.children) {
    auto line = parseRouteLine(entry, "static_routes", hostIproute2Names(), sink);
    if (!line) continue;
    tracked = tracked || tracks(*line);
    out.config.staticRoutes.push_back({entry.where, line->spec});
  }
  noteTracking(node, tracked, sink);
}

void mapStaticRules(const Node& node, MappedConfig& out, DiagnosticSink& sink) {
  if (!blockHeader(node, "static_rules { RULE ... }", sink)) return;
  bool tracked = false;
  for (const Node& entry : node.children) {
    auto line = parseRuleLine(entry, "static_rules", hostIproute2Names(), out.rulePriorities, sink);
    if (!line) continue;
    tracked = tracked || tracks(*line);
    out.config.staticRules.push_back({entry.where, line->spec});
  }
  noteTracking(node, tracked, sink);
}

void mapVirtualRouting(const Node& block, const std::string& owner, vrrp::InstanceConfig& inst,
                       InstanceSource& src, RulePriorities& priorities, DiagnosticSink& sink) {
  const bool routes = block.keyword == "virtual_routes";
  if (!blockHeader(block, block.keyword + (routes ? " { ROUTE ... }" : " { RULE ... }"), sink))
    return;
  const std::string what = owner + " " + block.keyword;
  bool tracked = false;
  for (const Node& entry : block.children) {
    if (routes) {
      auto line = parseRouteLine(entry, what, hostIproute2Names(), sink);
      if (!line) continue;
      tracked = tracked || tracks(*line);
      inst.routes.push_back(line->spec);
      src.routes.push_back(entry.where);
    } else {
      auto line = parseRuleLine(entry, what, hostIproute2Names(), priorities, sink);
      if (!line) continue;
      tracked = tracked || tracks(*line);
      inst.rules.push_back(line->spec);
      src.rules.push_back(entry.where);
    }
  }
  noteTracking(block, tracked, sink);
}

void checkRoutingOwners(const MappedConfig& out, DiagnosticSink& sink) {
  // Each entry's first owner, by what the kernel would hold: a second one would add what the
  // first removes (or remove what it holds on a VRRP change).
  std::map<RoutingEntry, std::pair<std::string, SourceLocation>> first;
  auto claim = [&](const RoutingEntry& entry, const std::string& owner,
                   const SourceLocation& where) {
    auto [it, fresh] = first.emplace(entry, std::make_pair(owner, where));
    if (fresh) return;
    const std::string kind = std::holds_alternative<RouteSpec>(entry) ? "route" : "rule";
    sink.error(where, "the same " + kind + " is in " + owner + " and in " + it->second.first +
                          " (" + it->second.second.str() + "): one owner per " + kind);
  };
  for (const auto& r : out.config.staticRoutes) claim(r.spec, "static_routes", r.where);
  for (const auto& r : out.config.staticRules) claim(r.spec, "static_rules", r.where);
  const auto& instances = out.config.vrrp.instances;
  for (size_t i = 0; i < instances.size() && i < out.vrrp.instances.size(); ++i) {
    const auto& inst = instances[i];
    const auto& src = out.vrrp.instances[i];
    const std::string owner = "vrrp_instance " + inst.name;
    for (size_t n = 0; n < inst.routes.size() && n < src.routes.size(); ++n) {
      claim(inst.routes[n], owner + " virtual_routes", src.routes[n]);
    }
    for (size_t n = 0; n < inst.rules.size() && n < src.rules.size(); ++n) {
      claim(inst.rules[n], owner + " virtual_rules", src.rules[n]);
    }
  }
}

}  // namespace ha::director::config
