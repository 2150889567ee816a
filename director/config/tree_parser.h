#pragma once
// Builds the generic tree (config_tree.h) from keepalived.conf text, resolving `include GLOB`
// (glob(3), relative to the including file's directory) in place, wherever it appears. Lines go
// through keepalived's preprocessing first (preprocessor.h): `configId` selects `@ID` lines.
#include <string>
#include <string_view>

#include "director/config/config_tree.h"
#include "director/config/diagnostic_sink.h"

namespace ha::director::config {

ConfigTree parseConfigTree(std::string_view text, const std::string& fileName, DiagnosticSink& sink,
                           std::string_view configId = {});
// Reads `path` first; an unreadable file is an error at `path` (line 0).
ConfigTree parseConfigTreeFile(const std::string& path, DiagnosticSink& sink,
                               std::string_view configId = {});

}  // namespace ha::director::config
