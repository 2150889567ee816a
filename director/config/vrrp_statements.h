#pragma once
// Statements shared by vrrp_instance, vrrp_sync_group and vrrp_script: notify commands, track
// blocks, GARP repeat counts, keepalived's <BOOL>. Each reports its own errors at the statement.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "director/config/config_tree.h"
#include "director/config/diagnostic_sink.h"
#include "vrrp/vrrp_config.h"

namespace ha::director::config {

// Linux IFNAMSIZ less the NUL: longer names cannot exist.
inline constexpr size_t kMaxInterfaceName = 15;
// keepalived's ranges: track_script/vrrp_script weights keep 1..254 reachable from 1 or 254;
// track_interface allows one more either way.
inline constexpr int kMaxScriptWeight = 253;
inline constexpr int kMaxInterfaceWeight = 254;

// notify, notify_master, notify_backup, notify_fault, notify_stop: `KEYWORD "CMD ARGS" [USER
// [GROUP]]`. Fills `notify` and returns true when `node` is one of them.
bool mapNotifyStatement(const Node& node, const std::string& owner, vrrp::NotifyScripts& notify,
                        DiagnosticSink& sink);

// `track_interface { DEV [weight N] ... }`, `track_script { NAME [weight N] ... }`; one location
// per entry is appended to `where`.
void mapTrackInterfaces(const Node& block, const std::string& owner,
                        std::vector<vrrp::TrackedInterface>& out,
                        std::vector<SourceLocation>& where, DiagnosticSink& sink);
void mapTrackScripts(const Node& block, const std::string& owner,
                     std::vector<vrrp::TrackedScript>& out, std::vector<SourceLocation>& where,
                     DiagnosticSink& sink);

// Our `track_virtual_server { VIP PORT [TCP|UDP] [weight N] ... }`: one virtual server per line,
// named as healthcheck::ServiceKey::str() prints it ("TCP 192.0.2.1:80"); weight as track_script's.
void mapTrackVirtualServers(const Node& block, const std::string& owner,
                            std::vector<vrrp::TrackedVirtualServer>& out,
                            std::vector<SourceLocation>& where, DiagnosticSink& sink);

// `weight N [reverse]` starting at node.args[index]; `reverse` is refused by name.
std::optional<int> weightArgs(const Node& node, size_t index, int limit, DiagnosticSink& sink);

// A count keepalived clamps from 0 to 1 (garp_master_repeat, script interval...): 0 warns and reads
// as 1, like keepalived, so existing configs keep loading.
std::optional<uint32_t> atLeastOneArg(const Node& node, uint64_t max, DiagnosticSink& sink);

// keepalived's optional <BOOL> (on|off|true|false|yes|no); no argument means true.
std::optional<bool> boolArg(const Node& node, DiagnosticSink& sink);

// An interface name argument: 1..15 bytes.
std::optional<std::string> interfaceArg(const Node& node, size_t index, DiagnosticSink& sink);

}  // namespace ha::director::config
