// The dialled side of a sync stream: ConnectionSync as a raw (ByteBuffer) callback service, so a
// message that is not protobuf at all is told apart from a closed stream. Each call is an
// IncomingCall reactor: a slot under the stream cap, Hello and identity first (within the Hello
// deadline), then decoded messages posted to syncIo. GrpcLimits bounds what a caller may cost.
#include <grpcpp/alarm.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_callback.h>

#include <deque>
#include <functional>
#include <utility>

#include "sync.grpc.pb.h"
#include "sync/grpc_handoff.h"
#include "sync/grpc_transport_core.h"
#include "sync/sync_codec.h"

namespace ha::sync::detail {
namespace {

grpc::ByteBuffer serialize(const proto::SyncMessage& message) {
  grpc::Slice slice(message.SerializeAsString());
  return grpc::ByteBuffer(&slice, 1);
}

bool parse(grpc::ByteBuffer& buffer, proto::SyncMessage& out) {
  return grpc::SerializationTraits<proto::SyncMessage>::Deserialize(&buffer, &out).ok();
}

// Whether the client certificate names `node`: its CN or a DNS SAN (the TLS layer already checked
// that our CA signed it).
bool certificateNames(const grpc::AuthContext& auth, const std::string& node) {
  if (!auth.IsPeerAuthenticated()) return false;
  for (const char* property : {"x509_common_name", "x509_subject_alternative_name"}) {
    for (const grpc::string_ref& value : auth.FindPropertyValues(property)) {
      if (std::string(value.data(), value.size()) == node) return true;
    }
  }
  for (const grpc::string_ref& value : auth.GetPeerIdentity()) {
    if (std::string(value.data(), value.size()) == node) return true;
  }
  return false;
}

// Why gRPC itself may end a stream under us (GrpcLimits).
const std::string kGrpcEnds = "a message over " + std::to_string(kMaxEncodedMessageBytes) +
                              " bytes, or buffers past the memory quota";

// Where the Hello alarms' callbacks meet the calls that set them, for ThreadSanitizer only.
const char kHelloAlarmHandOff = 0;

class ServerCall final : public IncomingCall,
                         public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  ServerCall(std::shared_ptr<TransportCore> core, grpc::CallbackServerContext* context)
      : core_(std::move(core)), context_(context), id_(core_->nextCallId++) {}

  // After make_shared: the call keeps itself alive until OnDone.
  void begin(std::shared_ptr<ServerCall> self) {
    self_ = self;
    if (!core_->enter(self)) {
      finish(grpc::StatusCode::UNAVAILABLE, "connection sync is stopping");
      return;
    }
    if (!core_->takeIncomingSlot()) {
      const std::string why = "too many sync streams at once (" +
                              std::to_string(core_->limits().streamsPerPeer) +
                              " per configured peer)";
      core_->refuse(TransportCore::Refusal::kOverCap,
                    "refused a stream from " + context_->peer() + ": " + why);
      finish(grpc::StatusCode::RESOURCE_EXHAUSTED, why);
      return;
    }
    holdsSlot_ = true;
    const auto deadline = std::chrono::system_clock::now() + core_->limits().helloDeadline;
    // Built before handOff(): gRPC runs it on one of its threads, which must see the captures.
    // The mark is one for all alarms (the callback cannot name its call before reading a capture).
    std::function<void(bool)> onDeadline = [weak = std::weak_ptr<ServerCall>(self)](bool fired) {
      takeOver(&kHelloAlarmHandOff);
      if (!fired) return;  // cancelled: the Hello came, or the call ended
      if (auto call = weak.lock()) call->helloOverdue();
    };
    handOff(&kHelloAlarmHandOff);
    handOff(this);
    helloAlarm_.Set(deadline, std::move(onDeadline));
    StartRead(&in_);
  }

  uint64_t id() const override { return id_; }

  void ack(const Ack& ack) override {
    acked_.fetch_add(1);
    write(serialize(encode(PeerMessage{ack})));
  }

  void finish(grpc::StatusCode code, const std::string& why) override {
    bool finishNow = false;
    {
      std::lock_guard lock(mu_);
      if (finishing_) return;
      finishing_ = true;
      status_ = grpc::Status(code, why);
      finishNow = !writing_;
      finishCalled_ = finishNow;
    }
    closed(why);
    handOff(this);
    if (finishNow) Finish(status_);
  }

  void cancel(const std::string& why) override {
    {
      std::lock_guard lock(mu_);
      // Until Finish is called OnDone cannot run, so the context is alive under the lock.
      if (!finishCalled_) context_->TryCancel();
    }
    finish(grpc::StatusCode::CANCELLED, why);
  }

  void OnReadDone(bool ok) override {
    takeOver(this);
    if (!ok) {
      // gRPC gives no reason here: a closed stream and one it ended look the same.
      finish(grpc::StatusCode::OK, "the peer closed its stream, or gRPC ended it (" +
                                       kGrpcEnds + ")");
      return;
    }
    proto::SyncMessage message;
    const bool parsed = parse(in_, message);
    in_.Clear();
    if (!accepted_) {
      if (helloState_.load() == kHelloTooLate) return;  // finishing already, counted
      if (auto refusal = accept(parsed, message)) {
        core_->refuse(TransportCore::Refusal::kIdentity,
                      "refused a stream from " + context_->peer() + ": " + *refusal);
        finish(grpc::StatusCode::PERMISSION_DENIED, *refusal);
        return;
      }
    } else if (!parsed) {
      malformed("bytes that are not a protobuf SyncMessage");
      reset("not a protobuf SyncMessage");
      return;
    } else if (!received(message)) {
      return;
    }
    handOff(this);
    StartRead(&in_);
  }

  void OnWriteDone(bool ok) override {
    takeOver(this);
    const grpc::ByteBuffer* next = nullptr;
    bool finishNow = false;
    {
      std::lock_guard lock(mu_);
      writing_ = false;
      queue_.pop_front();
      if (!ok && !finishing_) {
        finishing_ = true;
        status_ = grpc::Status(grpc::StatusCode::UNAVAILABLE, "write failed");
      }
      if (finishing_) {
        finishNow = !finishCalled_;
        finishCalled_ = true;
      } else if (!queue_.empty()) {
        writing_ = true;
        next = &queue_.front();
      }
    }
    if (!ok) closed("the peer stopped reading (write failed)");
    handOff(this);
    if (finishNow) Finish(status_);
    if (next != nullptr) StartWrite(next);
  }

  void OnCancel() override {
    takeOver(this);
    finish(grpc::StatusCode::CANCELLED, "the stream was cancelled (" + kGrpcEnds + ")");
  }

  void OnDone() override {
    takeOver(this);
    helloAlarm_.Cancel();
    if (holdsSlot_) core_->releaseIncomingSlot();
    std::shared_ptr<TransportCore> core = core_;
    std::shared_ptr<ServerCall> self = std::move(self_);
    self.reset();  // may delete this
    core->leave();
  }

 private:
  void helloOverdue() {
    int waiting = kWaitingForHello;
    if (!helloState_.compare_exchange_strong(waiting, kHelloTooLate)) return;
    std::string from;
    {
      std::lock_guard lock(mu_);
      if (finishCalled_) return;  // ending anyway; OnDone may have freed the context
      from = context_->peer();
    }
    const std::string why =
        "no Hello within " + std::to_string(core_->limits().helloDeadline.count()) + " ms";
    core_->refuse(TransportCore::Refusal::kHelloTimeout,
                  "ended a stream from " + from + ": " + why);
    finish(grpc::StatusCode::DEADLINE_EXCEEDED, why);
  }

  // Checks the first message; nullopt when the stream is accepted.
  std::optional<std::string> accept(bool parsed, const proto::SyncMessage& message) {
    if (!parsed) return "first message is not a protobuf SyncMessage";
    auto decoded = decode(message);
    if (!decoded) return "first message refused: " + decoded.error();
    const auto* hello = std::get_if<Hello>(&*decoded);
    if (hello == nullptr) return std::string("first message is not a Hello");
    auto peer = core_->peerNamed(hello->node);
    if (!peer) return "node " + hello->node + " is not one of our peers";
    auto auth = context_->auth_context();
    if (!auth || !certificateNames(*auth, hello->node)) {
      return "node " + hello->node + " does not match its certificate's CN or DNS SANs";
    }
    int waiting = kWaitingForHello;
    if (!helloState_.compare_exchange_strong(waiting, kHelloAccepted)) {
      return std::string("the Hello came after the deadline");
    }
    helloAlarm_.Cancel();
    peer_ = *peer;
    accepted_ = true;
    core_->post([peer = peer_, self = self_](StreamEvents& events) {
      events.onIncomingAccepted(peer, self);
    });
    // The client counts its stream up when this arrives (so after the post above).
    write(serialize(encode(PeerMessage{Ack{0, 0}})));
    return std::nullopt;
  }

  // False when the stream was reset.
  bool received(const proto::SyncMessage& message) {
    auto decoded = decode(message);
    std::string why;
    if (!decoded) {
      why = decoded.error();
    } else if (std::holds_alternative<Hello>(*decoded)) {
      why = "a second Hello on one stream";
    } else if (std::holds_alternative<Ack>(*decoded)) {
      why = "an Ack on the sending side of a stream";
    }
    if (why.empty() && ++delivered_ - acked_.load() > kMaxUnackedMessages) {
      // A sender keeps to its window; one that does not would fill syncIo's queue without bound.
      reset("flood: more than " + std::to_string(kMaxUnackedMessages) + " messages not yet acknowledged");
      return false;
    }
    if (why.empty()) {
      malformedInARow_ = 0;
      core_->post([peer = peer_, id = id_, m = std::move(*decoded)](StreamEvents& events) mutable {
        events.onIncomingMessage(peer, id, std::move(m));
      });
      return true;
    }
    malformed(why);
    if (++malformedInARow_ <= kMaxMalformedInARow) return true;
    reset(std::to_string(malformedInARow_) + " malformed messages in a row");
    return false;
  }

  void malformed(const std::string& why) {
    core_->post([peer = peer_, id = id_, why](StreamEvents& events) {
      events.onIncomingMalformed(peer, id, why);
    });
  }

  void reset(const std::string& why) {
    core_->refuse(TransportCore::Refusal::kReset,
                  "reset the stream of " + core_->config().peers[peer_].name + ": " + why);
    finish(grpc::StatusCode::INVALID_ARGUMENT, "stream reset: " + why);
  }

  void write(grpc::ByteBuffer buffer) {
    const grpc::ByteBuffer* next = nullptr;
    {
      std::lock_guard lock(mu_);
      if (finishing_) return;
      queue_.push_back(std::move(buffer));  // deque: the element StartWrite holds stays put
      if (writing_) return;
      writing_ = true;
      next = &queue_.front();
    }
    handOff(this);
    StartWrite(next);
  }

  // Tells syncIo the stream is over, once (ignored there unless it is the peer's current one).
  void closed(const std::string& why) {
    if (!accepted_ || closedPosted_.exchange(true)) return;
    core_->post([peer = peer_, id = id_, why](StreamEvents& events) {
      events.onIncomingClosed(peer, id, why);
    });
  }

  std::shared_ptr<TransportCore> core_;
  grpc::CallbackServerContext* context_;
  const uint64_t id_;
  std::shared_ptr<ServerCall> self_;
  // Read side: only the read reactions touch these, one at a time.
  grpc::ByteBuffer in_;
  std::atomic<bool> accepted_{false};
  PeerId peer_ = 0;
  unsigned malformedInARow_ = 0;
  uint64_t delivered_ = 0;            // read side only
  std::atomic<uint64_t> acked_{0};    // written by syncIo (ack)
  std::atomic<bool> closedPosted_{false};
  bool holdsSlot_ = false;  // set in begin(), read in OnDone
  grpc::Alarm helloAlarm_;
  // The Hello deadline and the Hello race (the alarm runs on another thread): one of them wins.
  static constexpr int kWaitingForHello = 0, kHelloAccepted = 1, kHelloTooLate = 2;
  std::atomic<int> helloState_{kWaitingForHello};
  // Write side, shared with syncIo (ack, finish) and cancel().
  std::mutex mu_;
  std::deque<grpc::ByteBuffer> queue_;
  bool writing_ = false;  // a StartWrite is outstanding, or about to be
  bool finishing_ = false;
  bool finishCalled_ = false;
  grpc::Status status_;
};

class SyncService final
    : public proto::ConnectionSync::WithRawCallbackMethod_Stream<proto::ConnectionSync::Service> {
 public:
  explicit SyncService(std::shared_ptr<TransportCore> core) : core_(std::move(core)) {}

  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* Stream(
      grpc::CallbackServerContext* context) override {
    auto call = std::make_shared<ServerCall>(core_, context);
    call->begin(call);
    return call.get();
  }

 private:
  std::shared_ptr<TransportCore> core_;
};

}  // namespace

std::unique_ptr<grpc::Service> makeSyncService(std::shared_ptr<TransportCore> core) {
  return std::make_unique<SyncService>(std::move(core));
}

}  // namespace ha::sync::detail
