#pragma once
// Loads a keepalived.conf dialect (keepalived grammar plus our extensions) into a typed Config.
// Config is untrusted input: nothing here throws or stops at the first problem; every error and
// warning found comes back in LoadResult::diagnostics with its file:line.
#include <string>
#include <string_view>

#include "common/program_path.h"
#include "director/config/config_model.h"

namespace ha::director {

// keepalived's config id (`-i`): the host name up to its first dot.
std::string defaultConfigId();

// Scripts the config names are resolved against `files` (the real filesystem by default): a
// missing or non-executable one is an error (director/config/script_paths.h). `configId` selects
// the `@ID` lines (keepalived's conditional configuration).
LoadResult loadConfigFile(const std::string& path, const FileProbe& files = systemFileProbe(),
                          const std::string& configId = defaultConfigId());
// `fileName` names the text in diagnostics; `include` patterns resolve against its directory.
LoadResult loadConfigText(std::string_view text, const std::string& fileName,
                          const FileProbe& files = systemFileProbe(),
                          const std::string& configId = defaultConfigId());

}  // namespace ha::director
