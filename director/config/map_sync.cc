// connection_sync (ours): where to listen, the other directors, mutual TLS. Certificate files are
// named here, not read: the sync service opens them at start and refuses to run without them.
#include <sys/utsname.h>

#include <chrono>
#include <string>

#include "director/config/config_mapper.h"
#include "director/config/node_rules.h"

namespace ha::director::config {
namespace {

using std::chrono::seconds;

constexpr Duration kMaxReadyTimeout = seconds(3600);
constexpr std::string_view kTlsRequired =
    "connection_sync: tls { ca cert key } required: peers must authenticate each other";

// One `KEYWORD VALUE` statement at most once; false (reported) otherwise.
bool takeOnce(const Node& node, std::string_view owner, bool& seen, DiagnosticSink& sink) {
  if (seen) {
    sink.error(node.where, "'" + node.keyword + "' given twice in " + std::string(owner));
    return false;
  }
  seen = true;
  return true;
}

void mapListen(const Node& node, sync::SyncConfig& sync, bool& seen, DiagnosticSink& sink) {
  if (!checkStatement(node, 2, 2, "listen ADDR PORT", sink)) return;
  if (!takeOnce(node, "connection_sync", seen, sink)) return;
  auto address = addressArg(node, 0, sink);
  auto port = portArg(node, 1, 1, sink);
  if (!address || !port) return;
  sync.listenAddress = *address;
  sync.listenPort = *port;
}

void mapPeer(const Node& node, sync::SyncConfig& sync, SyncSource& src, DiagnosticSink& sink) {
  if (!checkStatement(node, 3, 3, "peer NAME ADDR PORT", sink)) return;
  const std::string& name = node.args[0];
  if (name.empty()) {
    sink.error(node.where, "empty peer name in connection_sync (usage: peer NAME ADDR PORT)");
    return;
  }
  auto address = addressArg(node, 1, sink);
  auto port = portArg(node, 2, 1, sink);
  if (!address || !port) return;
  const std::string endpoint = formatEndpoint(*address, *port);
  for (size_t i = 0; i < sync.peers.size(); ++i) {
    const auto& other = sync.peers[i];
    // The name is what the peer's certificate and Hello must carry: one name, one director.
    if (other.name == name) {
      sink.error(node.where, "connection_sync: peer " + name + " " + definedAt(src.peers[i]));
      return;
    }
    if (other.address == *address && other.port == *port) {
      sink.error(node.where, "connection_sync: peer " + name + " at " + endpoint +
                                 ": that address is peer " + other.name + "'s (" +
                                 src.peers[i].str() + ")");
      return;
    }
  }
  sync.peers.push_back(sync::PeerConfig{name, *address, *port});
  src.peers.push_back(node.where);
}

void mapTls(const Node& node, sync::TlsConfig& tls, bool& seen, DiagnosticSink& sink) {
  if (!checkArgs(node, 0, 0, "tls { ca FILE  cert FILE  key FILE }", sink) ||
      !checkHasBlock(node, sink)) {
    return;
  }
  if (!takeOnce(node, "connection_sync", seen, sink)) return;
  for (const Node& child : node.children) {
    const std::string& k = child.keyword;
    std::string* field = k == "ca"     ? &tls.caFile
                         : k == "cert" ? &tls.certFile
                         : k == "key"  ? &tls.keyFile
                                       : nullptr;
    if (field == nullptr) {
      sink.error(child.where, "unknown keyword '" + k + "' in connection_sync tls");
      continue;
    }
    if (!checkStatement(child, 1, 1, k + " FILE", sink)) continue;
    if (child.args[0].empty()) {
      sink.error(child.where, "empty file name for '" + k + "' in connection_sync tls");
    } else if (!field->empty()) {
      sink.error(child.where, "'" + k + "' given twice in connection_sync tls");
    } else {
      *field = child.args[0];
    }
  }
  std::string missing;
  for (auto [name, file] : {std::pair{"ca", &tls.caFile}, std::pair{"cert", &tls.certFile},
                            std::pair{"key", &tls.keyFile}}) {
    if (file->empty()) missing += std::string(missing.empty() ? "" : ", ") + name;
  }
  if (!missing.empty())
    sink.error(node.where, std::string(kTlsRequired) + " (missing " + missing + ")");
}

// keepalived's default router_id is the host name (global_data.c get_local_name(): uname).
std::string hostName() {
  struct utsname name {};
  if (uname(&name) != 0) return {};
  return name.nodename;
}

}  // namespace

void mapConnectionSync(const Node& node, MappedConfig& out, DiagnosticSink& sink) {
  if (!checkArgs(node, 0, 0, "connection_sync { listen ADDR PORT  peer NAME ADDR PORT ... }",
                 sink) ||
      !checkHasBlock(node, sink)) {
    return;
  }
  if (out.sync) {
    sink.error(node.where, "connection_sync " + definedAt(out.sync->where));
    return;
  }
  SyncSource src{node.where, {}};
  sync::SyncConfig sync;
  sync.enabled = true;
  bool listenSeen = false, tlsSeen = false, queueSeen = false, quotaSeen = false, readySeen = false;
  bool peerWritten = false;  // a bad peer line is reported once, not again as "no peer"
  for (const Node& child : node.children) {
    const std::string& k = child.keyword;
    if (k == "listen") {
      mapListen(child, sync, listenSeen, sink);
    } else if (k == "peer") {
      peerWritten = true;
      mapPeer(child, sync, src, sink);
    } else if (k == "tls") {
      mapTls(child, sync.tls, tlsSeen, sink);
    } else if (k == "queue_limit") {
      if (!checkStatement(child, 1, 1, "queue_limit FLOWS", sink) ||
          !takeOnce(child, "connection_sync", queueSeen, sink)) {
        continue;
      }
      if (auto n = numberArg(child, 0, 1, UINT32_MAX, sink)) {
        sync.queueLimit = static_cast<uint32_t>(*n);
      }
    } else if (k == "peer_quota") {
      if (!checkStatement(child, 1, 1, "peer_quota FLOWS", sink) ||
          !takeOnce(child, "connection_sync", quotaSeen, sink)) {
        continue;
      }
      if (auto n = numberArg(child, 0, 1, UINT32_MAX, sink)) {
        sync.peerQuota = static_cast<uint32_t>(*n);
      }
    } else if (k == "ready_timeout") {
      if (!checkStatement(child, 1, 1, "ready_timeout SECONDS", sink) ||
          !takeOnce(child, "connection_sync", readySeen, sink)) {
        continue;
      }
      if (auto d = secondsArg(child, 0, Duration::zero(), kMaxReadyTimeout, sink)) {
        sync.readyTimeout = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
      }
    } else {
      sink.error(child.where, "unknown keyword '" + k + "' in connection_sync");
    }
  }
  if (!listenSeen) {
    sink.error(node.where, "connection_sync: no 'listen ADDR PORT': peers cannot reach us");
  }
  if (!peerWritten) {
    sink.error(node.where, "connection_sync: no 'peer NAME ADDR PORT': nothing to sync with");
  }
  if (!tlsSeen) sink.error(node.where, std::string(kTlsRequired));
  for (size_t i = 0; i < sync.peers.size(); ++i) {
    const auto& p = sync.peers[i];
    if (listenSeen && p.address == sync.listenAddress && p.port == sync.listenPort) {
      sink.error(src.peers[i], "connection_sync: peer " + p.name + " at " +
                                   formatEndpoint(p.address, p.port) +
                                   " is our own listen address");
    }
  }
  out.config.sync = std::move(sync);
  out.sync = std::move(src);
}

void completeSync(MappedConfig& out) {
  if (!out.sync) return;
  const std::string& routerId = out.config.globals.routerId;
  out.config.sync.nodeName = routerId.empty() ? hostName() : routerId;
}

}  // namespace ha::director::config
