#pragma once
// The production Transport (transport.h): gRPC bidi streams over mutual TLS, one outgoing stream
// per configured peer (we dial, send flows, read acks) and the incoming streams peers dial to us.
//
//   syncIo thread                     gRPC threads (callback API, nothing blocks per stream)
//   Engine ── send/ack ──> GrpcTransport ── per-stream queue ──> OutgoingCall / IncomingCall
//   Engine <── posted events ──────────────────────────────────── reactions (OnReadDone, OnDone)
//
// Every listener call is posted onto syncIo and runs there; the transport's own tables (which
// stream is current for which peer, backoff timers) live on syncIo only. The stream objects are
// shared with gRPC's threads and guard their write queues with their own mutex.
//
// Identity: a stream's first message is a Hello whose node is one of SyncConfig::peers and equals
// the CN or a DNS SAN of the client certificate (which the TLS layer checked against our CA);
// otherwise the stream ends PERMISSION_DENIED, the listener hears nothing and refusedStreams()
// counts it. Our dials verify the server against the peer's configured *name* (not its address).
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/result.h"
#include "sync/sync_config.h"
#include "sync/transport.h"

namespace grpc {
class Channel;
class Server;
class Service;
}  // namespace grpc

namespace ha::sync {

namespace detail {
class TransportCore;
class IncomingCall;
class OutgoingCall;
struct TlsPems;

// What the stream objects report, run on syncIo through TransportCore::post(). Events of a stream
// that is no longer the peer's current one are dropped there.
class StreamEvents {
 public:
  virtual void onIncomingAccepted(PeerId peer, std::shared_ptr<IncomingCall> call) = 0;
  virtual void onIncomingMessage(PeerId peer, uint64_t callId, PeerMessage message) = 0;
  virtual void onIncomingMalformed(PeerId peer, uint64_t callId, const std::string& why) = 0;
  virtual void onIncomingClosed(PeerId peer, uint64_t callId, const std::string& why) = 0;
  virtual void onOutgoingAccepted(PeerId peer, uint64_t generation) = 0;
  virtual void onOutgoingAck(PeerId peer, uint64_t generation, const Ack& ack) = 0;
  virtual void onOutgoingClosed(PeerId peer, uint64_t generation, const std::string& why) = 0;

 protected:
  ~StreamEvents() = default;
};
}  // namespace detail

// Redial backoff: doubles from kDialBackoffMin to kDialBackoffMax, ±20 % jitter, reset once a
// stream is accepted.
inline constexpr std::chrono::milliseconds kDialBackoffMin{50};
inline constexpr std::chrono::milliseconds kDialBackoffMax{2000};
// A peer that sends this many undecodable messages in a row has its stream reset.
inline constexpr unsigned kMaxMalformedInARow = 16;
// Messages a peer may have outstanding on its stream to us (its Outbox window is 8); beyond this
// it is flooding and the stream is reset.
inline constexpr uint64_t kMaxUnackedMessages = 64;

// What one peer, or anyone holding a certificate of our CA, may cost the dialled side. Message
// sizes are fixed by the protocol (sync_codec.h: kMaxEncodedMessageBytes in, kMaxEncodedAckBytes
// back to the dialler), so a larger message is refused by gRPC (RESOURCE_EXHAUSTED) before our
// parser sees it.
struct GrpcLimits {
  // A stream whose first message (a valid Hello) has not arrived by then is ended and counted.
  std::chrono::milliseconds helloDeadline{5000};
  // Incoming streams at once, accepted or still waiting for their Hello, over all connections:
  // this many per configured peer (one current stream, one being replaced). Past it a new stream
  // is refused RESOURCE_EXHAUSTED and counted.
  size_t streamsPerPeer = 2;
  // HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS per connection (a peer's channel carries one).
  int streamsPerConnection = 2;
  // grpc::ResourceQuota of the server, over every connection and stream: base + per peer. gRPC
  // 1.51 buffers a message whole before its size check (the HTTP/2 window opens to the length
  // the sender announces), so this, not the size limit, bounds what a sender can make us hold:
  // past it gRPC cancels a stream (RST_STREAM ENHANCE_YOUR_CALM, "Buffers full"). A peer needs
  // about its window of 8 batches (< 1 MiB).
  size_t memoryQuotaBaseBytes = 2 * 1024 * 1024;
  size_t memoryQuotaPerPeerBytes = 1024 * 1024;
};

class GrpcTransport final : public Transport, private detail::StreamEvents {
 public:
  // Reads and checks the PEM files, listens (listenPort 0: any free port, see boundPort()) and
  // starts dialling every peer. Call on syncIo's thread or before it runs.
  static Result<std::unique_ptr<GrpcTransport>> start(const SyncConfig& config,
                                                      boost::asio::io_context& syncIo,
                                                      TransportListener& listener,
                                                      GrpcLimits limits = {});
  ~GrpcTransport() override;
  GrpcTransport(const GrpcTransport&) = delete;
  GrpcTransport& operator=(const GrpcTransport&) = delete;

  // Cancels every stream, shuts the server down and waits for gRPC to let go of them. No listener
  // call runs after it returns. Call on syncIo's thread, or when syncIo is not running.
  void stop();

  bool send(PeerId peer, PeerMessage message) override;
  void ack(PeerId peer, const Ack& ack) override;
  void resetIncoming(PeerId peer, const std::string& why) override;
  void redialNow(PeerId peer) override;
  size_t pendingWrites(PeerId peer) const override;
  // refusedStreams: ended before Hello was accepted (unknown node, name not in the certificate,
  // first message not a valid Hello; a certificate our CA did not sign fails the TLS handshake
  // and never becomes a stream). helloTimeouts, overCapStreams: GrpcLimits. resetStreams: ended
  // for garbage (more than kMaxMalformedInARow malformed messages in a row, bytes that are not a
  // protobuf SyncMessage, a flood); resetIncoming() is not counted here (its caller counts it).
  TransportStats stats() const override;

  uint16_t boundPort() const { return boundPort_; }

 private:
  struct Outgoing {
    std::shared_ptr<grpc::Channel> channel;
    std::shared_ptr<detail::OutgoingCall> call;
    uint64_t generation = 0;  // of `call`; events of older dials are ignored
    bool up = false;
    bool waiting = false;  // the backoff timer is armed
    uint64_t timerGeneration = 0;
    std::chrono::milliseconds backoff = kDialBackoffMin;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };

  GrpcTransport(const SyncConfig& config, boost::asio::io_context& syncIo,
                TransportListener& listener, GrpcLimits limits);
  Status listen(const detail::TlsPems& pems, const GrpcLimits& limits);
  void dial(PeerId peer);
  void scheduleRedial(PeerId peer);

  void onIncomingAccepted(PeerId peer, std::shared_ptr<detail::IncomingCall> call) override;
  void onIncomingMessage(PeerId peer, uint64_t callId, PeerMessage message) override;
  void onIncomingMalformed(PeerId peer, uint64_t callId, const std::string& why) override;
  void onIncomingClosed(PeerId peer, uint64_t callId, const std::string& why) override;
  void onOutgoingAccepted(PeerId peer, uint64_t generation) override;
  void onOutgoingAck(PeerId peer, uint64_t generation, const Ack& ack) override;
  void onOutgoingClosed(PeerId peer, uint64_t generation, const std::string& why) override;
  bool isCurrentIncoming(PeerId peer, uint64_t callId) const;

  std::shared_ptr<detail::TransportCore> core_;
  boost::asio::io_context& io_;
  TransportListener& listener_;
  std::unique_ptr<grpc::Service> service_;
  std::unique_ptr<grpc::Server> server_;
  uint16_t boundPort_ = 0;
  std::vector<Outgoing> outgoing_;
  std::vector<std::shared_ptr<detail::IncomingCall>> incoming_;
  std::mt19937_64 rng_;
  bool stopped_ = false;
};

}  // namespace ha::sync
