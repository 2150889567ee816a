#pragma once
// An in-memory network of sync transports (docs/style.md §3): each node's Transport delivers to the
// peer's listener through one FIFO that run() drains, so two or three engines talk as they would
// over gRPC — streams up and down, messages in order, acks — with no threads and no sockets.
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sync/transport.h"

namespace ha::sync::test {

class FakeSyncNetwork {
 public:
  FakeSyncNetwork();
  ~FakeSyncNetwork();
  // A node named `name` whose config lists `peers` in this order. Its streams come up with connect().
  Transport& addNode(const std::string& name, std::vector<std::string> peers,
                     TransportListener& listener);
  // The node's process is gone: every stream it had goes down at the other end. Queued messages
  // to or from it are lost, as in a crash.
  void removeNode(const std::string& name);
  // Dials every configured stream between live nodes that is not up yet.
  void connectAll();
  // Delivers queued events until none are left (or maxSteps); returns how many ran.
  size_t run(size_t maxSteps = 1000000);
  // Messages written from `from` to `to` so far.
  size_t messagesSent(const std::string& from, const std::string& to) const;
  size_t redials(const std::string& name) const;

 private:
  class NodeTransport;
  struct Node {
    std::string name;
    std::vector<std::string> peers;
    TransportListener* listener = nullptr;
    std::unique_ptr<NodeTransport> transport;
    std::vector<bool> outgoingUp;
    size_t redials = 0;
    uint64_t incarnation = 0;
  };
  Node* find(const std::string& name);
  const Node* find(const std::string& name) const;
  void dial(Node& from, PeerId peer);
  void post(const std::string& target, uint64_t incarnation, std::function<void(Node&)> event);

  std::map<std::string, Node> nodes_;
  std::deque<std::function<void()>> queue_;
  std::map<std::pair<std::string, std::string>, size_t> sent_;
  uint64_t nextIncarnation_ = 1;
};

}  // namespace ha::sync::test
