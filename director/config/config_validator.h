#pragma once
// Third pass: rules across statements — duplicates, references between blocks, and what each
// forwarding mode needs from the rest of the config (DESIGN.md "Forwarder").
#include "director/config/config_mapper.h"
#include "director/config/diagnostic_sink.h"

namespace ha::director::config {

void validateConfig(const MappedConfig& mapped, DiagnosticSink& sink);

}  // namespace ha::director::config
