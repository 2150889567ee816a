#pragma once
// keepalived keywords we recognise but do not implement yet, with how each is reported. The rule
// (docs/architecture.md §6): never ignore silently; a warning when skipping it cannot change what
// is forwarded or which node holds an address, an error when it can.
#include <optional>
#include <string>
#include <string_view>

namespace ha::director::config {

// keepalived top-level blocks we do not build, e.g. "block 'static_routes' not supported yet".
// nullopt if `keyword` is not one.
std::optional<std::string> unsupportedTopLevelBlock(std::string_view keyword);

// keepalived global_defs keywords (all are warnings; this only picks the wording).
bool isKeepalivedGlobalDefsKeyword(std::string_view keyword);

// virtual_server keywords that change forwarding and that we do not implement: errors.
bool isUnsupportedServiceKeyword(std::string_view keyword);

// keepalived vrrp_instance keywords we do not implement, with their report: an error when
// skipping it could change which node holds the addresses or how peers see us.
struct KeywordVerdict {
  bool error = false;
  std::string message;  // complete, naming the keyword
};
std::optional<KeywordVerdict> unsupportedVrrpInstanceKeyword(std::string_view keyword);

}  // namespace ha::director::config
