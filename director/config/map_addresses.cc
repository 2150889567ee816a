// local_address_group (the FULLNAT forks of keepalived) and static_ipaddress (keepalived).
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "director/config/address_entry.h"
#include "director/config/config_mapper.h"
#include "director/config/node_rules.h"
#include "director/config/value_parsers.h"

namespace ha::director::config {
namespace {

IpAddress lastOf(const AddressRange& range) { return range.first.plus(range.count - 1); }

// The group's ranges so far, first -> last, none overlapping: a new entry is checked against
// them in O(log n), so a group of a million entries is never compared pairwise or expanded.
using RangeIndex = std::map<IpAddress, IpAddress>;

// The first address of `range` already in `index`, if any.
std::optional<IpAddress> firstOverlap(const RangeIndex& index, const AddressRange& range) {
  auto after = index.upper_bound(range.first);
  if (after != index.begin() && std::prev(after)->second >= range.first) return range.first;
  if (after != index.end() && after->first <= lastOf(range)) return after->first;
  return std::nullopt;
}

// Checks one entry and adds its range to the group as written (not expanded).
void addEntry(const Node& entry, const std::string& name, LaddrGroupSource& group,
              RangeIndex& index, DiagnosticSink& sink) {
  const std::string what = "local_address_group " + name;
  auto range = parseAddressRange(entry.keyword);
  if (!range) {
    sink.error(entry.where, "invalid address or range '" + entry.keyword + "' in " + what + ": " +
                                range.error());
    return;
  }
  if (!group.entries.empty() &&
      group.entries.front().range.first.family() != range->first.family()) {
    sink.error(entry.where, what + " mixes IPv4 and IPv6 addresses ('" + entry.keyword + "')");
    return;
  }
  if (auto twice = firstOverlap(index, *range)) {
    sink.error(entry.where, "address " + twice->str() + " listed twice in " + what);
    return;
  }
  index.emplace(range->first, lastOf(*range));
  group.entries.push_back({entry.where, *range});
}

void mapStaticAddress(const Node& entry, Config& config, DiagnosticSink& sink) {
  AddressEntry parsed;
  bool ok = parseAddressEntry(entry, "static_ipaddress", parsed, sink);
  if (parsed.dev.empty()) {
    sink.error(entry.where, "static_ipaddress " + entry.keyword + " needs 'dev IFACE'");
    ok = false;
  }
  if (!ok) return;
  for (const auto& other : config.staticAddresses) {
    if (other.prefix.address == parsed.prefix.address) {
      sink.error(entry.where,
                 "static_ipaddress " + parsed.prefix.address.str() + " " + definedAt(other.where));
      return;
    }
  }
  config.staticAddresses.push_back(
      StaticAddress{entry.where, parsed.prefix, std::move(parsed.dev), std::move(parsed.label)});
}

}  // namespace

void mapLocalAddressGroup(const Node& node, MappedConfig& out, DiagnosticSink& sink) {
  if (!checkArgs(node, 1, 1, "local_address_group NAME { ADDRESS|RANGE ... }", sink) ||
      !checkHasBlock(node, sink)) {
    return;
  }
  const std::string& name = node.args[0];
  LaddrGroupSource group;
  group.where = node.where;
  RangeIndex index;
  for (const Node& entry : node.children) {
    if (!checkStatement(entry, 0, 0, "one ADDRESS or RANGE per line", sink)) continue;
    addEntry(entry, name, group, index, sink);
  }
  if (node.children.empty()) {
    sink.error(node.where, "local_address_group " + name + " has no addresses");
  }
  auto existing = out.laddrGroups.find(name);
  if (existing != out.laddrGroups.end()) {
    sink.error(node.where, "local_address_group " + name + " " + definedAt(existing->second.where));
    return;
  }
  // Kept even when an entry was bad, so services naming it do not cascade into more errors.
  out.laddrGroups.emplace(name, std::move(group));
}

void expandLocalAddressGroups(MappedConfig& out, DiagnosticSink& sink) {
  std::set<std::string> named;
  for (const auto& vs : out.config.virtualServers) {
    if (!vs.laddrGroup.empty()) named.insert(vs.laddrGroup);
  }
  const bool everyGroup = out.config.sync.enabled;
  uint64_t total = 0;
  bool capped = false;  // past the cap, groups are registered empty: no cascade of "unknown"
  for (const auto& [name, source] : out.laddrGroups) {
    if (!everyGroup && named.count(name) == 0) {
      sink.warning(source.where, "local_address_group " + name +
                                     " is not used: no virtual_server names it in "
                                     "laddr_group_name and there is no connection_sync; its "
                                     "addresses are not expanded");
      continue;
    }
    LocalAddressGroup group{source.where, name, {}};
    for (const auto& entry : source.entries) {
      if (capped) break;
      if (entry.range.count > kMaxLocalAddresses - total) {
        sink.error(entry.where, "local_address_group " + name + ": more than " +
                                    std::to_string(kMaxLocalAddresses) +
                                    " local addresses in the groups in use (all groups "
                                    "together); the limit bounds what a config may expand to");
        capped = true;
        break;
      }
      total += entry.range.count;
      for (uint64_t i = 0; i < entry.range.count; ++i) {
        group.addresses.push_back(entry.range.first.plus(i));
      }
    }
    out.config.laddrGroups.emplace(name, std::move(group));
  }
}

void mapStaticIpaddress(const Node& node, Config& config, DiagnosticSink& sink) {
  if (!checkArgs(node, 0, 0, "static_ipaddress { ADDR/LEN dev IFACE ... }", sink) ||
      !checkHasBlock(node, sink)) {
    return;
  }
  for (const Node& entry : node.children) mapStaticAddress(entry, config, sink);
}

}  // namespace ha::director::config
