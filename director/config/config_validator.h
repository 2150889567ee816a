#pragma once
// Third pass: rules across statements — duplicates, references between blocks, and what each
// forwarding mode needs from the rest of the config (docs/architecture.md §4).
#include "director/config/config_mapper.h"
#include "director/config/diagnostic_sink.h"

namespace ha::director::config {

void validateConfig(const MappedConfig& mapped, DiagnosticSink& sink);

// Health rules of one virtual_server (health_validator.cc); validateConfig calls it.
void validateServiceHealth(const VirtualServerConfig& vs, const ServiceKeywordLocations& loc,
                           DiagnosticSink& sink);
// The VRRP part (vrrp_validator.cc); validateConfig calls it.
void validateVrrp(const MappedConfig& mapped, DiagnosticSink& sink);
// Connection sync against the rest (sync_validator.cc): peers named like this node, a
// metrics_listen on the sync listen address, track_sync without a connection_sync block.
// validateConfig calls it.
void validateSync(const MappedConfig& mapped, DiagnosticSink& sink);
// virtual_server_group / fwmark services (service_group_validator.cc): overlapping selectors, a
// group used twice with one protocol, mixed real ports under a mark; validateConfig calls it.
void validateServiceGroups(const MappedConfig& mapped, DiagnosticSink& sink);
// A virtual_ipaddress or virtual_ipaddress_excluded entry of some vrrp_instance is `address`.
bool heldByVrrp(const Config& config, const IpAddress& address);

}  // namespace ha::director::config
