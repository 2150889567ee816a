// The dialling side of a sync stream: Hello first, then whatever the engine sends; reads acks.
// The stream counts as up when the peer's first Ack (seq 0) arrives, which its service writes
// only after accepting our Hello and certificate.
//
// Lifetime: the call keeps itself alive until OnDone. A hold (AddHold) keeps OnDone away while a
// write may still be started from syncIo; it is released once the stream is closing and no write
// is outstanding, so StartWrite is never called on a finished call.
#include <grpcpp/grpcpp.h>
#include <grpcpp/support/client_callback.h>

#include <deque>
#include <utility>

#include "sync.grpc.pb.h"
#include "sync/grpc_handoff.h"
#include "sync/grpc_transport_core.h"
#include "sync/sync_codec.h"

namespace ha::sync::detail {
namespace {

std::string describeStatus(const grpc::Status& status) {
  static constexpr const char* kNames[] = {"OK",
                                           "CANCELLED",
                                           "UNKNOWN",
                                           "INVALID_ARGUMENT",
                                           "DEADLINE_EXCEEDED",
                                           "NOT_FOUND",
                                           "ALREADY_EXISTS",
                                           "PERMISSION_DENIED",
                                           "RESOURCE_EXHAUSTED",
                                           "FAILED_PRECONDITION",
                                           "ABORTED",
                                           "OUT_OF_RANGE",
                                           "UNIMPLEMENTED",
                                           "INTERNAL",
                                           "UNAVAILABLE",
                                           "DATA_LOSS",
                                           "UNAUTHENTICATED"};
  const auto code = static_cast<size_t>(status.error_code());
  std::string text = code < std::size(kNames) ? kNames[code] : "status " + std::to_string(code);
  if (!status.error_message().empty()) text += ": " + status.error_message();
  return text;
}

class ClientCall final : public OutgoingCall,
                         public grpc::ClientBidiReactor<proto::SyncMessage, proto::SyncMessage> {
 public:
  ClientCall(std::shared_ptr<TransportCore> core, PeerId peer, uint64_t generation,
             std::shared_ptr<grpc::Channel> channel)
      : core_(std::move(core)),
        peer_(peer),
        generation_(generation),
        channel_(std::move(channel)),
        stub_(proto::ConnectionSync::NewStub(channel_)) {}

  void begin(const std::shared_ptr<ClientCall>& self, const Hello& hello) {
    self_ = self;
    const bool registered = core_->enter(self);
    stub_->async()->Stream(&context_, this);
    queue_.push_back(encode(PeerMessage{hello}));
    writing_ = true;
    StartWrite(&queue_.front());
    StartRead(&in_);
    AddHold();
    handOff(this);
    StartCall();
    if (!registered) cancel("connection sync is stopping");
  }

  bool send(const PeerMessage& message) override {
    proto::SyncMessage encoded = encode(message);
    const proto::SyncMessage* next = nullptr;
    {
      std::lock_guard lock(mu_);
      if (closing_) return false;
      queue_.push_back(std::move(encoded));  // deque: the element StartWrite holds stays put
      if (writing_) return true;
      writing_ = true;
      next = &queue_.front();
    }
    handOff(this);
    StartWrite(next);
    return true;
  }

  size_t pendingWrites() const override {
    std::lock_guard lock(mu_);
    return queue_.size();
  }

  void cancel(const std::string& why) override {
    close(why);
    context_.TryCancel();  // the context lives as long as this object
  }

  void OnWriteDone(bool ok) override {
    takeOver(this);
    const proto::SyncMessage* next = nullptr;
    bool release = false;
    {
      std::lock_guard lock(mu_);
      writing_ = false;
      queue_.pop_front();
      if (!ok) closing_ = true;
      if (!closing_ && !queue_.empty()) {
        writing_ = true;
        next = &queue_.front();
      }
      release = releaseLocked();
    }
    handOff(this);
    if (next != nullptr) StartWrite(next);
    if (release) RemoveHold();
  }

  void OnReadDone(bool ok) override {
    takeOver(this);
    if (!ok) {
      close("");  // OnDone brings the status
      return;
    }
    auto decoded = decode(in_);
    in_.Clear();
    const Ack* ack = decoded ? std::get_if<Ack>(&*decoded) : nullptr;
    if (ack == nullptr) {
      cancel("the peer sent " + (decoded ? std::string("something other than an Ack")
                                         : "a malformed message: " + decoded.error()));
      return;
    }
    if (!accepted_) {
      accepted_ = true;
      core_->post([peer = peer_, generation = generation_](StreamEvents& events) {
        events.onOutgoingAccepted(peer, generation);
      });
    } else {
      core_->post([peer = peer_, generation = generation_, a = *ack](StreamEvents& events) {
        events.onOutgoingAck(peer, generation, a);
      });
    }
    handOff(this);
    StartRead(&in_);
  }

  void OnDone(const grpc::Status& status) override {
    takeOver(this);
    std::string why;
    {
      std::lock_guard lock(mu_);
      why = reason_;
    }
    if (why.empty()) why = describeStatus(status);
    if (!accepted_) why = "dial failed: " + why;
    core_->post([peer = peer_, generation = generation_, why](StreamEvents& events) {
      events.onOutgoingClosed(peer, generation, why);
    });
    std::shared_ptr<TransportCore> core = core_;
    std::shared_ptr<ClientCall> self = std::move(self_);
    self.reset();  // may delete this
    core->leave();
  }

 private:
  void close(const std::string& why) {
    bool release = false;
    {
      std::lock_guard lock(mu_);
      if (reason_.empty()) reason_ = why;
      closing_ = true;
      release = releaseLocked();
    }
    handOff(this);
    if (release) RemoveHold();
  }

  bool releaseLocked() {
    if (!closing_ || writing_ || holdReleased_) return false;
    holdReleased_ = true;
    return true;
  }

  std::shared_ptr<TransportCore> core_;
  const PeerId peer_;
  const uint64_t generation_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<proto::ConnectionSync::Stub> stub_;
  grpc::ClientContext context_;
  std::shared_ptr<ClientCall> self_;
  // Read side: only the read reactions touch these, one at a time.
  proto::SyncMessage in_;
  std::atomic<bool> accepted_{false};
  // Write side, shared with syncIo.
  mutable std::mutex mu_;
  std::deque<proto::SyncMessage> queue_;  // front: being written
  bool writing_ = false;
  bool closing_ = false;
  bool holdReleased_ = false;
  std::string reason_;  // ours, when we ended the stream
};

}  // namespace

std::shared_ptr<OutgoingCall> startOutgoingCall(std::shared_ptr<TransportCore> core, PeerId peer,
                                                uint64_t generation,
                                                std::shared_ptr<grpc::Channel> channel,
                                                const Hello& hello) {
  auto call = std::make_shared<ClientCall>(std::move(core), peer, generation, std::move(channel));
  call->begin(call, hello);
  return call;
}

}  // namespace ha::sync::detail
