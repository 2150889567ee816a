#include "director/config/script_paths.h"

#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/child_process.h"
#include "common/log.h"

namespace ha::director::config {
namespace {

// Every block statement by its file:line, to find the statement a command line came from: the
// Config keeps where each block was written, not each statement.
using BlockIndex = std::map<std::string, const Node*>;

BlockIndex indexBlocks(const ConfigTree& tree) {
  BlockIndex index;
  std::vector<const std::vector<Node>*> pending{&tree.roots};  // iterative: the tree may be deep
  while (!pending.empty()) {
    const std::vector<Node>* nodes = pending.back();
    pending.pop_back();
    for (const Node& node : *nodes) {
      if (node.children.empty()) continue;
      index.emplace(node.where.str(), &node);
      pending.push_back(&node.children);
    }
  }
  return index;
}

class Resolver {
 public:
  Resolver(const ConfigTree& tree, const FileProbe& files, DiagnosticSink& sink)
      : blocks_(indexBlocks(tree)), files_(files), sink_(sink) {}

  // Rewrites `line` to start with the absolute path of its program. `use` names the statement
  // ("MISC_CHECK for real_server 10.0.0.1:80"); the error, if any, goes to the first `keyword`
  // statement of the block written at `block` (the block itself if there is none).
  void resolve(std::string& line, const std::string& use, const SourceLocation& block,
               std::string_view keyword) {
    if (line.empty()) return;
    auto it = done_.find(line);
    if (it == done_.end()) it = done_.emplace(line, resolveOnce(line)).first;
    if (!it->second) {
      sink_.error(statementAt(block, keyword), use + ": " + it->second.error());
      return;
    }
    line = it->second->line;
    log::info(use + " uses " + it->second->program);
  }

 private:
  struct Resolved {
    std::string line;
    std::string program;
  };

  Result<Resolved> resolveOnce(const std::string& line) const {
    auto words = splitCommandLine(line);
    if (!words || words->empty()) {
      return Error{"command line '" + line +
                   "' cannot be split: unterminated quote or trailing backslash"};
    }
    auto program = resolveProgram(words->front(), files_);
    if (!program) return Error{program.error()};
    words->front() = program.value();
    return Resolved{joinCommandLine(*words), program.value()};
  }

  SourceLocation statementAt(const SourceLocation& block, std::string_view keyword) const {
    auto it = blocks_.find(block.str());
    if (it == blocks_.end()) return block;
    for (const Node& child : it->second->children) {
      if (child.keyword == keyword) return child.where;
    }
    return block;
  }

  BlockIndex blocks_;
  const FileProbe& files_;
  DiagnosticSink& sink_;
  std::map<std::string, Result<Resolved>> done_;  // by command line: each probed once
};

void resolveNotify(Resolver& r, vrrp::NotifyScripts& notify, const std::string& owner,
                   const SourceLocation& block) {
  r.resolve(notify.master, "notify_master of " + owner, block, "notify_master");
  r.resolve(notify.backup, "notify_backup of " + owner, block, "notify_backup");
  r.resolve(notify.fault, "notify_fault of " + owner, block, "notify_fault");
  r.resolve(notify.stop, "notify_stop of " + owner, block, "notify_stop");
  r.resolve(notify.any, "notify of " + owner, block, "notify");
}

// "file:line" as SourceLocation::str() wrote it (CheckerConfig keeps its location as text).
SourceLocation parseLocation(const std::string& text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos) return {text, 0};
  return {text.substr(0, colon), std::atoi(text.c_str() + colon + 1)};
}

}  // namespace

void resolveScripts(const ConfigTree& tree, MappedConfig& out, const FileProbe& files,
                    DiagnosticSink& sink) {
  Resolver r(tree, files, sink);
  for (auto& vs : out.config.virtualServers) {
    const std::string service =
        "virtual_server " + (vs.fwmark == 0 && vs.group.empty() ? formatEndpoint(vs.vip, vs.port)
                                                                : virtualServerName(vs));
    r.resolve(vs.quorumUp, "quorum_up of " + service, vs.where, "quorum_up");
    r.resolve(vs.quorumDown, "quorum_down of " + service, vs.where, "quorum_down");
    for (auto& real : vs.reals) {
      const std::string owner = "real_server " + formatEndpoint(real.address, real.port);
      r.resolve(real.notifyUp, "notify_up of " + owner, real.where, "notify_up");
      r.resolve(real.notifyDown, "notify_down of " + owner, real.where, "notify_down");
      for (auto& checker : real.checkers) {
        if (checker.probe.kind != healthcheck::CheckKind::kMisc) continue;
        r.resolve(checker.probe.miscPath, "MISC_CHECK for " + owner,
                  parseLocation(checker.location), "misc_path");
      }
    }
  }
  auto& vrrp = out.config.vrrp;
  for (size_t i = 0; i < vrrp.scripts.size(); ++i) {
    r.resolve(vrrp.scripts[i].command, "vrrp_script " + vrrp.scripts[i].name,
              out.vrrp.scripts.at(i).where, "script");
  }
  for (size_t i = 0; i < vrrp.instances.size(); ++i) {
    resolveNotify(r, vrrp.instances[i].notify, "vrrp_instance " + vrrp.instances[i].name,
                  out.vrrp.instances.at(i).where);
  }
  for (size_t i = 0; i < vrrp.syncGroups.size(); ++i) {
    resolveNotify(r, vrrp.syncGroups[i].notify, "vrrp_sync_group " + vrrp.syncGroups[i].name,
                  out.vrrp.syncGroups.at(i).where);
  }
}

}  // namespace ha::director::config
