#pragma once
// Loads a keepalived.conf dialect (keepalived grammar plus our extensions) into a typed Config.
// Config is untrusted input: nothing here throws or stops at the first problem; every error and
// warning found comes back in LoadResult::diagnostics with its file:line.
#include <string>
#include <string_view>

#include "director/config/config_model.h"

namespace ha::director {

LoadResult loadConfigFile(const std::string& path);
// `fileName` names the text in diagnostics; `include` patterns resolve against its directory.
LoadResult loadConfigText(std::string_view text, const std::string& fileName);

}  // namespace ha::director
