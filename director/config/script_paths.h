#pragma once
// Every program the config names (vrrp_script `script`, notify_master/backup/fault/stop and
// `notify` of instances and sync groups, quorum_up/down, notify_up/down, MISC_CHECK misc_path) is
// resolved once, when the config is loaded (common/program_path.h): an absolute path as written,
// a bare name in /usr/sbin:/usr/bin:/sbin:/bin. Each command line in the Config is rewritten to
// start with that absolute path, so what runs later never depends on a PATH, and each use is
// logged ("MISC_CHECK for real_server 10.0.0.1:80 uses /usr/local/bin/check_x"). A program that
// is missing, not executable or a relative path is an error at the statement's file:line —
// keepalived 2.2.7 logs and disables such a script instead, which quietly changes who is master
// or which real is up.
#include "common/program_path.h"
#include "director/config/config_mapper.h"
#include "director/config/config_tree.h"
#include "director/config/diagnostic_sink.h"

namespace ha::director::config {

// `tree` is only read for where each command line was written.
void resolveScripts(const ConfigTree& tree, MappedConfig& out, const FileProbe& files,
                    DiagnosticSink& sink);

}  // namespace ha::director::config
