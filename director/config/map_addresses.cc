// local_address_group (the FULLNAT forks of keepalived) and static_ipaddress (keepalived).
#include <set>
#include <string>

#include "director/config/address_entry.h"
#include "director/config/config_mapper.h"
#include "director/config/node_rules.h"
#include "director/config/value_parsers.h"

namespace ha::director::config {
namespace {

// A FULLNAT pool larger than this buys no ports worth having and costs map elements.
constexpr uint64_t kMaxLocalAddresses = 65536;

// Adds one entry's addresses; false once the group hit its cap (stop reading entries).
bool addEntry(const Node& entry, LocalAddressGroup& group, std::set<IpAddress>& seen,
              DiagnosticSink& sink) {
  const std::string what = "local_address_group " + group.name;
  auto range = parseAddressRange(entry.keyword);
  if (!range) {
    sink.error(entry.where, "invalid address or range '" + entry.keyword + "' in " + what + ": " +
                                range.error());
    return true;
  }
  if (!group.addresses.empty() && group.addresses.front().family() != range->first.family()) {
    sink.error(entry.where, what + " mixes IPv4 and IPv6 addresses ('" + entry.keyword + "')");
    return true;
  }
  if (range->count > kMaxLocalAddresses - group.addresses.size()) {
    sink.error(entry.where,
               what + " has more than " + std::to_string(kMaxLocalAddresses) + " addresses");
    return false;
  }
  bool reported = false;  // one report per entry, not one per address of a repeated range
  for (uint64_t i = 0; i < range->count; ++i) {
    IpAddress address = range->first.plus(i);
    if (seen.insert(address).second) {
      group.addresses.push_back(address);
    } else if (!reported) {
      sink.error(entry.where, "address " + address.str() + " listed twice in " + what);
      reported = true;
    }
  }
  return true;
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

void mapLocalAddressGroup(const Node& node, Config& config, DiagnosticSink& sink) {
  if (!checkArgs(node, 1, 1, "local_address_group NAME { ADDRESS|RANGE ... }", sink) ||
      !checkHasBlock(node, sink)) {
    return;
  }
  LocalAddressGroup group;
  group.where = node.where;
  group.name = node.args[0];
  std::set<IpAddress> seen;
  for (const Node& entry : node.children) {
    if (!checkStatement(entry, 0, 0, "one ADDRESS or RANGE per line", sink)) continue;
    if (!addEntry(entry, group, seen, sink)) break;
  }
  if (node.children.empty()) {
    sink.error(node.where, "local_address_group " + group.name + " has no addresses");
  }
  auto existing = config.laddrGroups.find(group.name);
  if (existing != config.laddrGroups.end()) {
    sink.error(node.where,
               "local_address_group " + group.name + " " + definedAt(existing->second.where));
    return;
  }
  // Registered even when an entry was bad, so services naming it do not cascade into more errors.
  config.laddrGroups.emplace(group.name, std::move(group));
}

void mapStaticIpaddress(const Node& node, Config& config, DiagnosticSink& sink) {
  if (!checkArgs(node, 0, 0, "static_ipaddress { ADDR/LEN dev IFACE ... }", sink) ||
      !checkHasBlock(node, sink)) {
    return;
  }
  for (const Node& entry : node.children) mapStaticAddress(entry, config, sink);
}

}  // namespace ha::director::config
