#include "tests/fakes/fake_sync_network.h"

#include <algorithm>
#include <utility>

namespace ha::sync::test {

class FakeSyncNetwork::NodeTransport final : public Transport {
 public:
  NodeTransport(FakeSyncNetwork& net, std::string name) : net_(net), name_(std::move(name)) {}

  bool send(PeerId peer, PeerMessage message) override {
    Node* self = net_.find(name_);
    if (self == nullptr || !self->outgoingUp.at(peer)) return false;
    const std::string target = self->peers[peer];
    Node* to = net_.find(target);
    if (to == nullptr) return false;
    ++net_.sent_[{name_, target}];
    const PeerId back = indexOf(*to, name_);
    net_.post(target, to->incarnation, [back, message = std::move(message)](Node& n) mutable {
      n.listener->onIncoming(back, std::move(message));
    });
    return true;
  }
  void ack(PeerId peer, const Ack& ack) override {
    Node* self = net_.find(name_);
    Node* to = self == nullptr ? nullptr : net_.find(self->peers.at(peer));
    if (to == nullptr) return;
    const PeerId back = indexOf(*to, name_);
    net_.post(to->name, to->incarnation, [back, ack](Node& n) {
      if (n.outgoingUp[back]) n.listener->onAck(back, ack);
    });
  }
  void resetIncoming(PeerId peer, const std::string& why) override {
    Node* self = net_.find(name_);
    Node* from = self == nullptr ? nullptr : net_.find(self->peers.at(peer));
    if (from == nullptr) return;
    const PeerId back = indexOf(*from, name_);
    from->outgoingUp[back] = false;
    net_.post(name_, self->incarnation, [peer, why](Node& n) { n.listener->onIncomingDown(peer, why); });
    net_.post(from->name, from->incarnation,
              [back, why](Node& n) { n.listener->onOutgoingDown(back, "reset by peer: " + why); });
  }
  void redialNow(PeerId peer) override {
    Node* self = net_.find(name_);
    if (self == nullptr) return;
    ++self->redials;
    net_.dial(*self, peer);
  }
  size_t pendingWrites(PeerId) const override { return 0; }
  TransportStats stats() const override { return {}; }

  static PeerId indexOf(const Node& node, const std::string& peer) {
    return static_cast<PeerId>(
        std::find(node.peers.begin(), node.peers.end(), peer) - node.peers.begin());
  }

 private:
  FakeSyncNetwork& net_;
  std::string name_;
};

FakeSyncNetwork::FakeSyncNetwork() = default;
FakeSyncNetwork::~FakeSyncNetwork() = default;

Transport& FakeSyncNetwork::addNode(const std::string& name, std::vector<std::string> peers,
                                    TransportListener& listener) {
  Node& node = nodes_[name];
  node.name = name;
  node.outgoingUp.assign(peers.size(), false);
  node.peers = std::move(peers);
  node.listener = &listener;
  node.transport = std::make_unique<NodeTransport>(*this, name);
  node.incarnation = nextIncarnation_++;
  return *node.transport;
}

void FakeSyncNetwork::removeNode(const std::string& name) {
  auto it = nodes_.find(name);
  if (it == nodes_.end()) return;
  nodes_.erase(it);
  for (auto& [peerName, peer] : nodes_) {
    for (PeerId i = 0; i < peer.peers.size(); ++i) {
      if (peer.peers[i] != name) continue;
      const bool wasUp = peer.outgoingUp[i];
      peer.outgoingUp[i] = false;
      post(peerName, peer.incarnation, [i, wasUp](Node& n) {
        if (wasUp) n.listener->onOutgoingDown(i, "peer gone");
        n.listener->onIncomingDown(i, "peer gone");
      });
    }
  }
}

void FakeSyncNetwork::connectAll() {
  for (auto& [name, node] : nodes_) {
    for (PeerId i = 0; i < node.peers.size(); ++i) dial(node, i);
  }
}

void FakeSyncNetwork::dial(Node& from, PeerId peer) {
  if (from.outgoingUp[peer]) return;
  Node* to = find(from.peers[peer]);
  if (to == nullptr) {
    post(from.name, from.incarnation, [peer](Node& n) { n.listener->onOutgoingDown(peer, "refused"); });
    return;
  }
  from.outgoingUp[peer] = true;
  const PeerId back = NodeTransport::indexOf(*to, from.name);
  // The server accepts the Hello before the client hears back (grpc_transport does the same).
  post(to->name, to->incarnation, [back](Node& n) { n.listener->onIncomingUp(back); });
  post(from.name, from.incarnation, [peer](Node& n) { n.listener->onOutgoingUp(peer); });
}

void FakeSyncNetwork::post(const std::string& target, uint64_t incarnation,
                           std::function<void(Node&)> event) {
  queue_.push_back([this, target, incarnation, event = std::move(event)] {
    Node* node = find(target);
    if (node != nullptr && node->incarnation == incarnation) event(*node);
  });
}

size_t FakeSyncNetwork::run(size_t maxSteps) {
  size_t steps = 0;
  while (!queue_.empty() && steps < maxSteps) {
    auto event = std::move(queue_.front());
    queue_.pop_front();
    event();
    ++steps;
  }
  return steps;
}

size_t FakeSyncNetwork::messagesSent(const std::string& from, const std::string& to) const {
  auto it = sent_.find({from, to});
  return it == sent_.end() ? 0 : it->second;
}

size_t FakeSyncNetwork::redials(const std::string& name) const {
  const Node* node = find(name);
  return node == nullptr ? 0 : node->redials;
}

FakeSyncNetwork::Node* FakeSyncNetwork::find(const std::string& name) {
  auto it = nodes_.find(name);
  return it == nodes_.end() ? nullptr : &it->second;
}

const FakeSyncNetwork::Node* FakeSyncNetwork::find(const std::string& name) const {
  auto it = nodes_.find(name);
  return it == nodes_.end() ? nullptr : &it->second;
}

}  // namespace ha::sync::test
