#pragma once
// The network between sync engines: one outgoing stream per configured peer (we dial it and send
// our flows), and the incoming streams peers dialled to us (they send, we ack). GrpcTransport
// (grpc_transport.h) is the production one, over mutual TLS; tests pair engines in memory.
//
// Threads: the transport calls its listener only on the io_context it was given (the sync
// thread); the engine calls the transport from that thread too.
#include <cstddef>
#include <cstdint>
#include <string>

#include "sync/transport_stats.h"
#include "sync/wire.h"

namespace ha::sync {

using PeerId = size_t;  // index into SyncConfig::peers

class TransportListener {
 public:
  virtual ~TransportListener() = default;
  // Our stream to the peer is up (the peer accepted our Hello): start with a bulk.
  virtual void onOutgoingUp(PeerId peer) = 0;
  // It broke or could not be opened; the transport redials with backoff on its own.
  virtual void onOutgoingDown(PeerId peer, const std::string& why) = 0;
  // The peer acknowledged everything up to seq on our stream.
  virtual void onAck(PeerId peer, const Ack& ack) = 0;
  // The peer dialled us (its Hello named it and its certificate matched).
  virtual void onIncomingUp(PeerId peer) = 0;
  virtual void onIncomingDown(PeerId peer, const std::string& why) = 0;
  // A message on the peer's stream to us (BulkBegin, FlowBatch or BulkEnd); answer with ack().
  virtual void onIncoming(PeerId peer, PeerMessage message) = 0;
  // Bytes that did not decode: counted, and the transport resets the stream if it keeps on.
  virtual void onMalformed(PeerId peer, const std::string& why) = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Queues a message on our stream to the peer; false when that stream is not up. The transport
  // writes one message at a time and holds at most a few; the engine paces by acks.
  virtual bool send(PeerId peer, PeerMessage message) = 0;
  // Acknowledges on the peer's stream to us.
  virtual void ack(PeerId peer, const Ack& ack) = 0;
  // Ends the peer's stream to us (it kept sending garbage); it may dial again.
  virtual void resetIncoming(PeerId peer, const std::string& why) = 0;
  // The peer just dialled us, so it is back: dial it now instead of waiting out the backoff.
  virtual void redialNow(PeerId peer) = 0;
  // How many messages wait to be written on our stream to the peer.
  virtual size_t pendingWrites(PeerId peer) const = 0;
  virtual TransportStats stats() const = 0;
};

}  // namespace ha::sync
