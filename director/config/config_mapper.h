#pragma once
// Second pass: the generic tree -> typed Config, keepalived semantics. Checks each statement on its
// own; checks across statements (duplicates, references, mode rules) are config_validator.h's.
#include <vector>

#include "director/config/config_model.h"
#include "director/config/config_tree.h"
#include "director/config/diagnostic_sink.h"

namespace ha::director::config {

// Where a service's keywords were written (line 0 = not written), so the validator can point at
// the statement at fault rather than at the service.
struct ServiceKeywordLocations {
  SourceLocation lbKind;
  SourceLocation lbAlgo;
  SourceLocation laddrGroup;
  SourceLocation mhTableSize;
  SourceLocation flags;  // the last sh-port / mh-port
};

struct MappedConfig {
  Config config;
  std::vector<ServiceKeywordLocations> serviceKeywords;  // parallel to config.virtualServers
};

MappedConfig mapConfig(const ConfigTree& tree, DiagnosticSink& sink);

// One pass each; mapConfig dispatches to them.
void mapGlobalDefs(const Node& node, GlobalDefs& globals, DiagnosticSink& sink);
void mapVirtualServer(const Node& node, MappedConfig& out, DiagnosticSink& sink);
void mapLocalAddressGroup(const Node& node, Config& config, DiagnosticSink& sink);
void mapStaticIpaddress(const Node& node, Config& config, DiagnosticSink& sink);

}  // namespace ha::director::config
