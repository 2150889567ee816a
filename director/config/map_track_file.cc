// keepalived 2's file tracking for real servers: the top-level `track_file NAME { ... }` block
// (keepalived's trackers/track_file.c) and `FILE_CHECK { track_file NAME  weight W [reverse] }` in
// a real_server (check/check_file.c). mapConfig() maps every track_file block before the virtual
// servers, so a FILE_CHECK may name one written anywhere in the configuration.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "director/config/health_mapping.h"
#include "director/config/node_rules.h"

namespace ha::director::config {
namespace {

// keepalived reads a track_file's own weight within [-254, 254] (track_file.c, the VRRP priority
// range), a FILE_CHECK's within [-IPVS_WEIGHT_LIMIT, IPVS_WEIGHT_LIMIT] (check_file.c).
constexpr int64_t kMaxTrackFileWeight = 254;
constexpr int64_t kMaxFileCheckWeight = INT32_MAX;

// `weight W [reverse|noreverse]`; nullopt after reporting a mistake.
std::optional<std::pair<int64_t, bool>> weightArgs(const Node& node, int64_t limit,
                                                   DiagnosticSink& sink) {
  if (!checkStatement(node, 1, 2, "weight W [reverse]", sink)) return std::nullopt;
  auto weight = signedArg(node, 0, -limit, limit, sink);
  if (!weight) return std::nullopt;
  bool reverse = false;
  if (node.args.size() == 2) {
    if (node.args[1] == "reverse") {
      reverse = true;
    } else if (node.args[1] != "noreverse") {
      sink.error(node.where,
                 "invalid weight option '" + node.args[1] + "': expected reverse or noreverse");
      return std::nullopt;
    }
  }
  return std::pair{*weight, reverse};
}

void mapInitFile(const Node& node, healthcheck::TrackFileConfig& file, DiagnosticSink& sink) {
  if (!checkStatement(node, 0, 2, "init_file [VALUE] [overwrite]", sink)) return;
  int64_t value = 0;
  bool overwrite = false;
  for (size_t i = 0; i < node.args.size(); ++i) {
    if (node.args[i] == "overwrite") {
      overwrite = true;
    } else if (auto parsed = signedArg(node, i, INT32_MIN, INT32_MAX, sink)) {
      value = *parsed;
    } else {
      return;
    }
  }
  file.init = value;
  file.overwrite = overwrite;
}

}  // namespace

void mapTrackFile(const Node& node, MappedConfig& out, DiagnosticSink& sink) {
  if (!checkArgs(node, 1, 1, "track_file NAME { file PATH ... }", sink) ||
      !checkHasBlock(node, sink)) {
    return;
  }
  healthcheck::TrackFileConfig file;
  file.location = node.where.str();
  file.name = node.args[0];
  bool weightSet = false;
  size_t errorsBefore = sink.errorCount();
  for (const Node& child : node.children) {
    const std::string& k = child.keyword;
    if (k == "file") {
      if (!checkStatement(child, 1, 1, "file PATH", sink)) continue;
      if (!file.path.empty()) {
        sink.error(child.where, "'file' given twice in track_file " + file.name);
      } else if (!child.args[0].starts_with('/')) {
        // Relative to what? directord's working directory is not the config's.
        sink.error(child.where, "file '" + child.args[0] + "' of track_file " + file.name +
                                    " must be an absolute path");
      } else {
        file.path = child.args[0];
      }
    } else if (k == "weight") {
      if (weightSet) {
        sink.error(child.where, "'weight' given twice in track_file " + file.name);
      } else if (auto weight = weightArgs(child, kMaxTrackFileWeight, sink)) {
        std::tie(file.weight, file.reverse) = *weight;
        weightSet = true;
      }
    } else if (k == "init_file") {
      mapInitFile(child, file, sink);
    } else {
      sink.error(child.where, "unknown keyword '" + k + "' in track_file " + file.name);
    }
  }
  if (file.path.empty()) {
    sink.error(node.where, "track_file " + file.name + " has no file");
    return;
  }
  auto& files = out.config.trackFiles;
  auto same = std::find_if(files.begin(), files.end(),
                           [&](const auto& other) { return other.name == file.name; });
  if (same != files.end()) {
    sink.error(node.where, "track_file " + file.name + " already defined at " + same->location);
    return;
  }
  if (sink.errorCount() == errorsBefore) files.push_back(std::move(file));
}

void mapFileCheck(const Node& node, const RealServerConfig& real, RealHealth& health,
                  DiagnosticSink& sink) {
  const std::string owner = "FILE_CHECK of real_server " + formatEndpoint(real.address, real.port);
  if (!checkArgs(node, 0, 0, "FILE_CHECK { track_file NAME }", sink) ||
      !checkHasBlock(node, sink)) {
    return;
  }
  const healthcheck::TrackFileConfig* file = nullptr;
  std::optional<std::pair<int64_t, bool>> weight;
  bool named = false;
  size_t errorsBefore = sink.errorCount();
  for (const Node& child : node.children) {
    const std::string& k = child.keyword;
    if (k == "track_file") {
      if (!checkStatement(child, 1, 1, "track_file NAME", sink)) continue;
      if (named) {
        sink.error(child.where, "'track_file' given twice in " + owner);
        continue;
      }
      named = true;
      // Both branches lvalues: `file` below points into the mapped list itself, never a copy.
      static const std::vector<healthcheck::TrackFileConfig> kNone;
      const auto& files = health.trackFiles != nullptr ? *health.trackFiles : kNone;
      auto it = std::find_if(files.begin(), files.end(),
                             [&](const auto& f) { return f.name == child.args[0]; });
      if (it == files.end()) {
        sink.error(child.where, "track_file " + child.args[0] + " in " + owner +
                                    " is not defined (or its block has errors)");
      } else {
        file = &*it;
      }
    } else if (k == "weight") {
      if (weight) {
        sink.error(child.where, "'weight' given twice in " + owner);
      } else {
        weight = weightArgs(child, kMaxFileCheckWeight, sink);
      }
    } else {
      // keepalived installs nothing else here: no timing, no connection (a file is watched).
      sink.error(child.where, "keyword '" + k + "' is not valid in " + owner +
                                  ": it takes only track_file and weight");
    }
  }
  if (!named) {
    sink.error(node.where, owner + " has no track_file");
    return;
  }
  if (file == nullptr || sink.errorCount() != errorsBefore) return;
  healthcheck::FileCheckConfig check;
  check.location = node.where.str();
  check.trackName = file->name;
  check.path = file->path;
  std::tie(check.weight, check.reverse) = weight.value_or(std::pair{file->weight, file->reverse});
  health.fileChecks.push_back(std::move(check));
}

}  // namespace ha::director::config
