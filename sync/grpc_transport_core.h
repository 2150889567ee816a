#pragma once
// Internals shared by grpc_transport.cc, grpc_peer_stream.cc (our dials) and grpc_sync_service.cc
// (peers' dials to us). No protobuf types here: the stream classes that hold them live in their
// .cc files behind the small interfaces below.
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/support/status_code_enum.h>

#include <array>
#include <atomic>
#include <chrono>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "sync/grpc_transport.h"

namespace ha::sync::detail {

// One gRPC call, as stop() sees it.
class StreamCall {
 public:
  virtual ~StreamCall() = default;
  // Ends the call now (TryCancel); safe from any thread, at any time, more than once.
  virtual void cancel(const std::string& why) = 0;
};

// A peer's stream to us, once its Hello was accepted.
class IncomingCall : public StreamCall {
 public:
  virtual uint64_t id() const = 0;
  // Queued; written one at a time.
  virtual void ack(const Ack& ack) = 0;
  // Sends `code`/`why` as the call's status once the write in progress (if any) is done.
  virtual void finish(grpc::StatusCode code, const std::string& why) = 0;
};

// Our stream to a peer.
class OutgoingCall : public StreamCall {
 public:
  // False once the stream is closing.
  virtual bool send(const PeerMessage& message) = 0;
  virtual size_t pendingWrites() const = 0;
};

// What the transport shares with the stream objects; it outlives every one of them (they hold it
// by shared_ptr), while the GrpcTransport behind `events` lives until stop() closed the gate.
class TransportCore : public std::enable_shared_from_this<TransportCore> {
 public:
  TransportCore(SyncConfig config, GrpcLimits limits, boost::asio::io_context& io,
                StreamEvents& events)
      : config_(std::move(config)), limits_(limits), io_(io), events_(events) {}

  const SyncConfig& config() const { return config_; }
  const GrpcLimits& limits() const { return limits_; }
  std::optional<PeerId> peerNamed(const std::string& name) const;

  // Runs fn on syncIo, unless close() ran first. The gate is held while fn runs, so close() from
  // another thread waits for a running event.
  void post(std::function<void(StreamEvents&)> fn);
  void close();

  // Every call registers at birth and leaves in OnDone. enter() returns false once stopping: the
  // call must end at once.
  bool enter(const std::weak_ptr<StreamCall>& call);
  void leave();
  void cancelAll(const std::string& why);
  // False if calls are still live at `deadline`; `live` is then how many.
  bool waitIdle(std::chrono::steady_clock::time_point deadline, size_t& live);

  // An incoming stream takes a slot for its whole life (GrpcLimits::streamsPerPeer × peers);
  // false when none is left (counted and logged by the caller: refuse(kOverCap, ...)).
  bool takeIncomingSlot();
  void releaseIncomingSlot() { incomingStreams_.fetch_sub(1); }

  // An incoming stream ended by us before or instead of its messages: counted, and logged at most
  // once per kind every kRefusalLogEvery (a flood of bad streams is not a flood of log lines).
  enum class Refusal : uint8_t { kIdentity, kHelloTimeout, kOverCap, kReset };
  void refuse(Refusal kind, const std::string& why);

  std::atomic<uint64_t> refused{0};
  std::atomic<uint64_t> resets{0};
  std::atomic<uint64_t> helloTimeouts{0};
  std::atomic<uint64_t> overCap{0};
  std::atomic<uint64_t> nextCallId{1};

 private:
  const SyncConfig config_;
  const GrpcLimits limits_;
  std::atomic<size_t> incomingStreams_{0};
  struct RefusalLog {
    uint64_t unlogged = 0;
    bool everLogged = false;
    std::chrono::steady_clock::time_point lastLogged{};
  };
  std::mutex logMu_;
  std::array<RefusalLog, 4> logs_;
  boost::asio::io_context& io_;
  StreamEvents& events_;
  std::recursive_mutex gateMu_;
  bool open_ = true;
  std::mutex callsMu_;
  std::condition_variable idle_;
  std::vector<std::weak_ptr<StreamCall>> calls_;
  size_t live_ = 0;
  bool stopping_ = false;
};

// tls_credentials.cc
struct TlsPems {
  std::string ca;
  std::string cert;
  std::string key;
};
// Reads the three PEM files and checks that they parse and that the key belongs to the
// certificate; errors name the file.
Result<TlsPems> loadTls(const TlsConfig& tls);
std::shared_ptr<grpc::ServerCredentials> serverCredentials(const TlsPems& pems);
// A channel to the peer that checks its certificate against peer.name.
std::shared_ptr<grpc::Channel> peerChannel(const PeerConfig& peer, const TlsPems& pems);

// Message size, streams and memory (GrpcLimits), keepalive and ping policy, no SO_REUSEPORT.
void configureServer(grpc::ServerBuilder& builder, const GrpcLimits& limits, size_t peers);

// grpc_peer_stream.cc: dials now; events come back through core.post().
std::shared_ptr<OutgoingCall> startOutgoingCall(std::shared_ptr<TransportCore> core, PeerId peer,
                                                uint64_t generation,
                                                std::shared_ptr<grpc::Channel> channel,
                                                const Hello& hello);
// grpc_sync_service.cc: the ConnectionSync callback service.
std::unique_ptr<grpc::Service> makeSyncService(std::shared_ptr<TransportCore> core);

}  // namespace ha::sync::detail
