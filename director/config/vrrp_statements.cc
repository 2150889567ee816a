#include "director/config/vrrp_statements.h"

#include <string>

#include "director/config/node_rules.h"
#include "director/config/value_parsers.h"

namespace ha::director::config {
namespace {

std::string* notifyField(const std::string& keyword, vrrp::NotifyScripts& notify) {
  if (keyword == "notify_master") return &notify.master;
  if (keyword == "notify_backup") return &notify.backup;
  if (keyword == "notify_fault") return &notify.fault;
  if (keyword == "notify_stop") return &notify.stop;
  if (keyword == "notify") return &notify.any;
  return nullptr;
}

// Entries of a track block: `NAME [weight N [reverse]]`; nullopt weight = none written.
bool trackEntry(const Node& entry, const std::string& owner, int limit, std::optional<int>& weight,
                DiagnosticSink& sink) {
  if (!checkNoBlock(entry, sink)) return false;
  if (entry.args.empty()) return true;
  if (entry.args[0] != "weight") {
    sink.error(entry.where, "unknown option '" + entry.args[0] + "' for '" + entry.keyword +
                                "' in " + owner + " (expected: weight N)");
    return false;
  }
  weight = weightArgs(entry, 1, limit, sink);
  return weight.has_value();
}

}  // namespace

bool mapNotifyStatement(const Node& node, const std::string& owner, vrrp::NotifyScripts& notify,
                        DiagnosticSink& sink) {
  std::string* field = notifyField(node.keyword, notify);
  if (field == nullptr) return false;
  // keepalived 2.x: the quoted first argument is the command line, then an optional user/group.
  if (!checkStatement(node, 1, 3, node.keyword + " \"COMMAND ARGS\" [USER [GROUP]]", sink)) {
    return true;
  }
  if (node.args[0].empty()) {
    sink.error(node.where, "empty command for '" + node.keyword + "' in " + owner);
    return true;
  }
  if (!field->empty()) {
    sink.error(node.where, "'" + node.keyword + "' given twice in " + owner);
    return true;
  }
  if (node.args.size() > 1) {
    sink.warning(node.where, "user '" + node.args[1] + "' for '" + node.keyword +
                                 "' ignored: directord runs notify scripts as root (quote the "
                                 "command if '" +
                                 node.args[1] + "' was meant as an argument)");
  }
  *field = node.args[0];
  return true;
}

void mapTrackInterfaces(const Node& block, const std::string& owner,
                        std::vector<vrrp::TrackedInterface>& out,
                        std::vector<SourceLocation>& where, DiagnosticSink& sink) {
  if (!checkArgs(block, 0, 0, "track_interface { DEV [weight N] ... }", sink) ||
      !checkHasBlock(block, sink)) {
    return;
  }
  for (const Node& entry : block.children) {
    std::optional<int> weight;
    if (entry.keyword.size() > kMaxInterfaceName) {
      sink.error(entry.where, "interface name '" + entry.keyword + "' in track_interface of " +
                                  owner + " is longer than 15 bytes");
      continue;
    }
    if (!trackEntry(entry, owner, kMaxInterfaceWeight, weight, sink)) continue;
    out.push_back(vrrp::TrackedInterface{entry.keyword, weight.value_or(0)});
    where.push_back(entry.where);
  }
}

void mapTrackScripts(const Node& block, const std::string& owner,
                     std::vector<vrrp::TrackedScript>& out, std::vector<SourceLocation>& where,
                     DiagnosticSink& sink) {
  if (!checkArgs(block, 0, 0, "track_script { NAME [weight N] ... }", sink) ||
      !checkHasBlock(block, sink)) {
    return;
  }
  for (const Node& entry : block.children) {
    std::optional<int> weight;
    if (!trackEntry(entry, owner, kMaxScriptWeight, weight, sink)) continue;
    out.push_back(vrrp::TrackedScript{entry.keyword, weight});
    where.push_back(entry.where);
  }
}

void mapTrackVirtualServers(const Node& block, const std::string& owner,
                            std::vector<vrrp::TrackedVirtualServer>& out,
                            std::vector<SourceLocation>& where, DiagnosticSink& sink) {
  if (!checkArgs(block, 0, 0, "track_virtual_server { VIP PORT [TCP|UDP] [weight N] ... }", sink) ||
      !checkHasBlock(block, sink)) {
    return;
  }
  for (const Node& entry : block.children) {
    if (!checkNoBlock(entry, sink)) continue;
    auto vip = IpAddress::parse(entry.keyword);
    if (!vip) {
      sink.error(entry.where,
                 "invalid IP address '" + entry.keyword + "' in track_virtual_server of " + owner);
      continue;
    }
    if (entry.args.empty()) {
      sink.error(entry.where, "missing port for " + entry.keyword + " in track_virtual_server of " +
                                  owner + " (usage: VIP PORT [TCP|UDP] [weight N])");
      continue;
    }
    auto port = portArg(entry, 0, 1, sink);
    if (!port) continue;
    size_t next = 1;
    Protocol protocol = Protocol::kTcp;
    if (next < entry.args.size() && (entry.args[next] == "TCP" || entry.args[next] == "UDP" ||
                                     entry.args[next] == "tcp" || entry.args[next] == "udp")) {
      protocol =
          entry.args[next] == "TCP" || entry.args[next] == "tcp" ? Protocol::kTcp : Protocol::kUdp;
      ++next;
    }
    int weight = 0;
    if (next < entry.args.size()) {
      if (entry.args[next] != "weight") {
        sink.error(entry.where, "unknown option '" + entry.args[next] +
                                    "' in track_virtual_server of " + owner +
                                    " (expected: VIP PORT [TCP|UDP] [weight N])");
        continue;
      }
      auto value = weightArgs(entry, next + 1, kMaxScriptWeight, sink);
      if (!value) continue;
      weight = *value;
    }
    std::string name = healthcheck::ServiceKey{static_cast<uint8_t>(protocol), *vip, *port}.str();
    bool repeated = false;
    for (size_t i = 0; i < out.size() && !repeated; ++i) {
      if (out[i].name != name) continue;
      sink.error(entry.where, owner + " tracks virtual server " + name + " twice (first at " +
                                  where[i].str() + ")");
      repeated = true;
    }
    if (repeated) continue;
    out.push_back(vrrp::TrackedVirtualServer{std::move(name), weight});
    where.push_back(entry.where);
  }
}

std::optional<int> weightArgs(const Node& node, size_t index, int limit, DiagnosticSink& sink) {
  if (index >= node.args.size()) {
    sink.error(node.where, "missing value for 'weight' in '" + node.keyword + "'");
    return std::nullopt;
  }
  if (index + 2 < node.args.size()) {
    sink.error(node.where, "extra argument '" + node.args[index + 2] + "' for 'weight' in '" +
                               node.keyword + "'");
    return std::nullopt;
  }
  if (index + 1 < node.args.size()) {
    if (node.args[index + 1] == "reverse") {
      // keepalived's `reverse` flips which result moves the priority; not modelled yet.
      sink.error(node.where, "'weight ... reverse' in '" + node.keyword + "' not supported yet");
    } else {
      sink.error(node.where, "unknown weight option '" + node.args[index + 1] + "' in '" +
                                 node.keyword + "' (keepalived knows only 'reverse')");
    }
    return std::nullopt;
  }
  auto value = parseSigned(node.args[index], -limit, limit);
  if (!value) {
    sink.error(node.where, "invalid weight '" + node.args[index] + "' in '" + node.keyword +
                               "': expected an integer in " + std::to_string(-limit) + ".." +
                               std::to_string(limit));
    return std::nullopt;
  }
  return static_cast<int>(*value);
}

std::optional<uint32_t> atLeastOneArg(const Node& node, uint64_t max, DiagnosticSink& sink) {
  auto value = numberArg(node, 0, 0, max, sink);
  if (!value) return std::nullopt;
  if (*value == 0) {
    sink.warning(node.where, "'" + node.keyword + " 0' read as 1, as keepalived does");
    return 1;
  }
  return static_cast<uint32_t>(*value);
}

std::optional<bool> boolArg(const Node& node, DiagnosticSink& sink) {
  if (!checkStatement(node, 0, 1, node.keyword + " [on|off|true|false|yes|no]", sink)) {
    return std::nullopt;
  }
  if (node.args.empty()) return true;
  const std::string& v = node.args[0];
  if (v == "on" || v == "true" || v == "yes") return true;
  if (v == "off" || v == "false" || v == "no") return false;
  sink.error(node.where, "invalid value '" + v + "' for '" + node.keyword +
                             "': expected on, off, true, false, yes or no");
  return std::nullopt;
}

std::optional<std::string> interfaceArg(const Node& node, size_t index, DiagnosticSink& sink) {
  const std::string& name = node.args.at(index);
  if (name.empty() || name.size() > kMaxInterfaceName) {
    sink.error(node.where, "invalid interface name '" + name + "' for '" + node.keyword +
                               "': expected 1..15 bytes");
    return std::nullopt;
  }
  return name;
}

}  // namespace ha::director::config
