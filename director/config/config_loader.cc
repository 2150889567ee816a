#include "director/config/config_loader.h"

#include <sys/utsname.h>

#include "director/config/config_mapper.h"
#include "director/config/config_validator.h"
#include "director/config/diagnostic_sink.h"
#include "director/config/script_paths.h"
#include "director/config/tree_parser.h"

namespace ha::director {
namespace {

// Grammar, then meaning (and the programs it names), then rules across statements; each pass
// keeps going after errors so one run reports every problem.
LoadResult load(const config::ConfigTree& tree, const FileProbe& files,
                config::DiagnosticSink& sink) {
  LoadResult result;
  if (!tree.truncated) {
    auto mapped = config::mapConfig(tree, sink);
    config::resolveScripts(tree, mapped, files, sink);
    config::validateConfig(mapped, sink);
    result.config = std::move(mapped.config);
  }
  result.diagnostics = sink.take();
  return result;
}

}  // namespace

std::string defaultConfigId() {
  struct utsname names {};
  if (::uname(&names) != 0) return {};
  std::string_view node(names.nodename);
  return std::string(node.substr(0, node.find('.')));
}

LoadResult loadConfigFile(const std::string& path, const FileProbe& files,
                          const std::string& configId) {
  config::DiagnosticSink sink;
  auto tree = config::parseConfigTreeFile(path, sink, configId);
  return load(tree, files, sink);
}

LoadResult loadConfigText(std::string_view text, const std::string& fileName,
                          const FileProbe& files, const std::string& configId) {
  config::DiagnosticSink sink;
  auto tree = config::parseConfigTree(text, fileName, sink, configId);
  return load(tree, files, sink);
}

}  // namespace ha::director
