// virtual_server_group (keepalived 2.2.7 check_data.c alloc_vsg_entry) and the family of
// `virtual_server fwmark N` / `virtual_server group NAME`, settled once every block is read.
#include <string>

#include "director/config/config_mapper.h"
#include "director/config/node_rules.h"
#include "director/config/value_parsers.h"

namespace ha::director::config {
namespace {

// How many bytes at the end of an address a range may vary: keepalived's ipvs_group_range_cmd
// steps the last IPv4 octet or the last IPv6 16-bit group and never carries into the next one.
size_t rangeWidth(const IpAddress& a) { return a.isV4() ? 1 : 2; }

bool sameUpperBytes(const IpAddress& a, const IpAddress& b) {
  for (size_t i = 0; i + rangeWidth(a) < a.size(); ++i) {
    if (a.bytes()[i] != b.bytes()[i]) return false;
  }
  return true;
}

// `ADDR`, `ADDR-END`, `ADDR-ADDR` or `ADDR/LEN`, within one last octet / last IPv6 group.
Result<AddressRange> parseMemberRange(const std::string& text) {
  if (auto slash = text.find('/'); slash != std::string::npos) {
    auto prefix = IpPrefix::parse(text);
    if (!prefix) return Error{"'" + text + "' is not ADDR/LEN"};
    const unsigned bits = static_cast<unsigned>(prefix->address.size()) * 8;
    const unsigned host = bits - prefix->length;
    if (host > rangeWidth(prefix->address) * 8) {
      return Error{"'" + text + "' crosses an octet boundary: keepalived steps only the last " +
                   (prefix->address.isV4() ? "octet" : "16-bit group") + " of a range"};
    }
    auto count = uint64_t{1} << host;
    if (prefix->address.plus(count - 1).distanceFrom(prefix->address) != count - 1 ||
        !sameUpperBytes(prefix->address, prefix->address.plus(count - 1)) ||
        (prefix->address.bytes()[prefix->address.size() - 1] & (count - 1)) != 0) {
      return Error{"'" + text + "' has host bits set"};
    }
    return AddressRange{prefix->address, count};
  }
  auto range = parseAddressRange(text);
  if (!range) return range;
  if (!sameUpperBytes(range->first, range->first.plus(range->count - 1))) {
    return Error{"range '" + text + "' crosses an octet boundary: keepalived steps only the last " +
                 (range->first.isV4() ? "octet" : "16-bit group") + " of a range"};
  }
  return range;
}

void mapFwmarkEntry(const Node& entry, VirtualServerGroup& group, DiagnosticSink& sink) {
  if (!checkStatement(entry, 1, 2, "fwmark N [inet|inet6]", sink)) return;
  auto mark = numberArg(entry, 0, 0, UINT32_MAX, sink);
  if (!mark) return;
  if (*mark == 0) {
    sink.error(entry.where, "fwmark 0 in virtual_server_group " + group.name +
                                ": 0 is an unmarked packet, no rule selects it");
    return;
  }
  if (entry.args.size() == 2) {
    const std::string& family = entry.args[1];
    if (family != "inet" && family != "inet6") {
      sink.error(entry.where, "fwmark " + entry.args[0] + " family '" + family +
                                  "' unknown: expected inet or inet6");
      return;
    }
    bool v6 = family == "inet6";
    if (group.v6 && *group.v6 != v6) {
      sink.error(entry.where, "virtual_server_group " + group.name +
                                  " mixes IPv4 and IPv6: keepalived allows that only when every "
                                  "real is tunnelled (lb_kind TUN), which directord does not do");
      return;
    }
    group.v6 = v6;
  }
  group.fwmarks.push_back({entry.where, static_cast<uint32_t>(*mark)});
}

void mapAddressEntry(const Node& entry, VirtualServerGroup& group, DiagnosticSink& sink) {
  if (!checkStatement(entry, 0, 1, "VIP[-RANGE] PORT", sink)) return;
  auto range = parseMemberRange(entry.keyword);
  if (!range) {
    sink.error(entry.where, "invalid address or range '" + entry.keyword +
                                "' in virtual_server_group " + group.name + ": " + range.error());
    return;
  }
  std::optional<uint16_t> port =
      entry.args.empty() ? std::optional<uint16_t>(0) : portArg(entry, 0, 0, sink);
  if (!port) return;
  if (*port == 0) {
    // IPVS: a port-0 service takes every port and is persistent-only; no such key here yet.
    sink.error(entry.where, "'" + entry.keyword + "' in virtual_server_group " + group.name +
                                " has no port: a service on every port is not supported yet");
    return;
  }
  bool v6 = !range->first.isV4();
  if (group.v6 && *group.v6 != v6) {
    sink.error(entry.where, "virtual_server_group " + group.name +
                                " mixes IPv4 and IPv6: keepalived allows that only when every "
                                "real is tunnelled (lb_kind TUN), which directord does not do");
    return;
  }
  group.v6 = v6;
  group.addresses.push_back(
      {entry.where, range->first, static_cast<uint32_t>(range->count), *port});
}

IpAddress unspecified(bool v6) { return v6 ? *IpAddress::parse("::") : IpAddress{}; }

}  // namespace

void mapVirtualServerGroup(const Node& node, MappedConfig& out, DiagnosticSink& sink) {
  if (!checkArgs(node, 1, 1, "virtual_server_group NAME { ... }", sink) ||
      !checkHasBlock(node, sink)) {
    return;
  }
  VirtualServerGroup group;
  group.where = node.where;
  group.name = node.args[0];
  for (const Node& entry : node.children) {
    if (entry.keyword == "fwmark") {
      mapFwmarkEntry(entry, group, sink);
    } else {
      mapAddressEntry(entry, group, sink);
    }
  }
  auto& groups = out.config.serviceGroups;
  if (auto it = groups.find(group.name); it != groups.end()) {
    sink.error(node.where,
               "virtual_server_group " + group.name + " " + definedAt(it->second.where));
    return;
  }
  if (group.addresses.empty() && group.fwmarks.empty()) {
    sink.error(node.where, "virtual_server_group " + group.name + " has no entries");
    return;
  }
  groups.emplace(group.name, std::move(group));
}

void completeServiceGroups(MappedConfig& out, DiagnosticSink& sink) {
  for (auto& vs : out.config.virtualServers) {
    if (vs.fwmark == 0 && vs.group.empty()) continue;
    std::optional<bool> v6;
    if (!vs.group.empty()) {
      auto group = out.config.serviceGroups.find(vs.group);
      if (group == out.config.serviceGroups.end()) {
        sink.error(vs.where, "virtual_server group " + vs.group +
                                 ": no virtual_server_group of that name is defined");
        continue;
      }
      v6 = group->second.v6;
      // keepalived ignores the protocol of a service selected by marks only.
      if (group->second.addresses.empty()) vs.protocol = Protocol::kTcp;
    } else {
      vs.protocol = Protocol::kTcp;  // IPVS keys fwmark services by mark and family only
    }
    // keepalived: a family not written is the reals' (they must share the VIP's), else IPv4.
    if (!v6 && !vs.reals.empty()) v6 = !vs.reals.front().address.isV4();
    vs.vip = unspecified(v6.value_or(false));
    vs.port = 0;
  }
}

}  // namespace ha::director::config
