#pragma once
// Second pass: the generic tree -> typed Config, keepalived semantics. Checks each statement on its
// own; checks across statements (duplicates, references, mode rules) are config_validator.h's.
#include <optional>
#include <string>
#include <vector>

#include "director/config/config_model.h"
#include "director/config/config_tree.h"
#include "director/config/diagnostic_sink.h"
#include "director/config/route_grammar.h"
#include "director/config/value_parsers.h"
#include "director/config/vrrp_sources.h"

namespace ha::director::config {

// Where a service's keywords were written (line 0 = not written), so the validator can point at
// the statement at fault rather than at the service.
struct ServiceKeywordLocations {
  SourceLocation lbKind;
  SourceLocation lbAlgo;
  SourceLocation laddrGroup;
  SourceLocation mhTableSize;
  SourceLocation flags;  // the last sh-port / mh-port
  SourceLocation quorum;
  SourceLocation hysteresis;
  SourceLocation sorryServer;
  SourceLocation sorryServerMethod;
  std::optional<ForwardMode> sorryMethod;  // sorry_server_lvs_method as written
  SourceLocation ftpHelper;
  SourceLocation clientAddress;
};

// The top-level `SSL { ca FILE  certificate FILE  key FILE }` block: keepalived's one TLS context
// for every SSL_GET checker, applied once every block is read (it may come last).
struct SslSettings {
  SourceLocation where;
  std::string caFile;
  std::string certFile;
  std::string keyFile;
};

// Where the `connection_sync` block and its statements were written.
struct SyncSource {
  SourceLocation where;                // `connection_sync {`
  std::vector<SourceLocation> peers;  // parallel to config.sync.peers
};

// A local_address_group as written: its ranges, checked (syntax, family, no address twice) but
// not expanded. expandLocalAddressGroups() expands the groups in use into Config::laddrGroups.
struct LaddrGroupSource {
  struct Entry {
    SourceLocation where;
    AddressRange range;
  };
  SourceLocation where;
  std::vector<Entry> entries;
};

struct MappedConfig {
  Config config;
  std::map<std::string, LaddrGroupSource> laddrGroups;
  std::vector<ServiceKeywordLocations> serviceKeywords;  // parallel to config.virtualServers
  VrrpSources vrrp;                                      // parallel to config.vrrp
  std::optional<SslSettings> ssl;
  std::optional<SyncSource> sync;  // set when a connection_sync block was written
  RulePriorities rulePriorities;   // preferences given to rules written without one
  bool defaultSchedulerNoted = false;  // the wlc note is given once, for the first service
};

MappedConfig mapConfig(const ConfigTree& tree, DiagnosticSink& sink);

// One pass each; mapConfig dispatches to them.
void mapGlobalDefs(const Node& node, MappedConfig& out, DiagnosticSink& sink);
void mapVirtualServer(const Node& node, MappedConfig& out, DiagnosticSink& sink);
void mapLocalAddressGroup(const Node& node, MappedConfig& out, DiagnosticSink& sink);
// map_conntrack_keywords.cc: lvs_timeouts (global_defs and virtual_server),
// persistence_granularity, and the refusal of ops on TCP (after the whole block is read).
void mapLvsTimeouts(const Node& node, LvsTimeouts& out, DiagnosticSink& sink);
void mapPersistenceGranularity(const Node& node, VirtualServerConfig& vs, DiagnosticSink& sink);
void checkOneShot(const Node& serviceNode, const VirtualServerConfig& vs, DiagnosticSink& sink);
// After every block is read (a virtual_server may name a group defined after it): expands the
// groups some virtual_server names in laddr_group_name — every group when connection_sync is
// configured, as sync accepts peers' flows on any configured local address — into
// Config::laddrGroups, at most kMaxLocalAddresses addresses in all. The others are skipped with
// a warning naming them.
void expandLocalAddressGroups(MappedConfig& out, DiagnosticSink& sink);
void mapStaticIpaddress(const Node& node, Config& config, DiagnosticSink& sink);
// virtual_server_group (map_service_group.cc), and after every block is read (a group may be
// defined after the virtual_server naming it): the family of each fwmark and group service.
void mapVirtualServerGroup(const Node& node, MappedConfig& out, DiagnosticSink& sink);
void completeServiceGroups(MappedConfig& out, DiagnosticSink& sink);
// Routes and rules (map_routes.cc): the top-level blocks, an instance's virtual_routes /
// virtual_rules, and after every block is read the one-owner check (a route in two blocks would
// be added by one and removed by the other).
void mapStaticRoutes(const Node& node, MappedConfig& out, DiagnosticSink& sink);
void mapStaticRules(const Node& node, MappedConfig& out, DiagnosticSink& sink);
void mapVirtualRouting(const Node& block, const std::string& owner, vrrp::InstanceConfig& inst,
                       InstanceSource& src, RulePriorities& priorities, DiagnosticSink& sink);
void checkRoutingOwners(const MappedConfig& out, DiagnosticSink& sink);
// Health checks (map_service_health.cc): the top-level SSL block, and after every block is read,
// its files given to each SSL_GET probe.
void mapSslBlock(const Node& node, MappedConfig& out, DiagnosticSink& sink);
// A top-level `track_file NAME { file PATH  weight W [reverse]  init_file [VALUE] [overwrite] }`
// (map_track_file.cc) into Config::trackFiles. mapConfig maps them all first: FILE_CHECKs name
// them wherever they are written.
void mapTrackFile(const Node& node, MappedConfig& out, DiagnosticSink& sink);
void applySslSettings(MappedConfig& out);

// Connection sync (map_sync.cc): the block, and after every block is read (global_defs may come
// last) the node name: router_id, else the host name as keepalived's default router_id.
void mapConnectionSync(const Node& node, MappedConfig& out, DiagnosticSink& sink);
void completeSync(MappedConfig& out);

// VRRP (map_vrrp*.cc). mapVrrpGlobal returns false when `node` is not a VRRP global_defs key.
bool mapVrrpGlobal(const Node& node, VrrpGlobals& globals, DiagnosticSink& sink);
void mapVrrpInstance(const Node& node, MappedConfig& out, DiagnosticSink& sink);
void mapVrrpScript(const Node& node, MappedConfig& out, DiagnosticSink& sink);
void mapVrrpSyncGroup(const Node& node, MappedConfig& out, DiagnosticSink& sink);
// After every block is read (global_defs may come last): folds the globals into each instance,
// resolves version, family and sync groups, and applies keepalived's start-up adjustments
// (vrrp_complete_instance) with a warning each.
void completeVrrp(MappedConfig& out, DiagnosticSink& sink);

}  // namespace ha::director::config
