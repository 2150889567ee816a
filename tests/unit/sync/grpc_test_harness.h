#pragma once
// What the GrpcTransport tests share: a node (its own io_context thread, as the sync thread in
// directord) with a recording listener, a hand-driven raw client of ConnectionSync, a port nobody
// answers on, and a fixture with a throwaway CA. Every wait is bounded.
#include <grpcpp/grpcpp.h>
#include <grpcpp/support/sync_stream.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <condition_variable>
#include <fstream>
#include <future>
#include <optional>
#include <sstream>
#include <thread>

#include "sync.grpc.pb.h"
#include "sync/grpc_transport.h"
#include "sync/sync_codec.h"
#include "test_certs.h"

namespace ha::sync::grpc_test {

using test::CertFiles;
using test::TempDir;
using test::TestCa;

using namespace std::chrono_literals;  // NOLINT(google-build-using-namespace)

// Only how long a failing wait takes: every wait here is for an event that does come. 5 s was
// missed once by a stream coming up (TLS dial + handshake) while other builds loaded both cores.
inline constexpr auto kWait = std::chrono::seconds(15);

enum class Kind {
  kOutgoingUp,
  kOutgoingDown,
  kAck,
  kIncomingUp,
  kIncomingDown,
  kIncoming,
  kMalformed
};

struct Event {
  Kind kind;
  PeerId peer = 0;
  std::string why;
  std::optional<PeerMessage> message;
  Ack ack;
};

inline Event event(Kind kind, PeerId peer, std::string why = {}) {
  Event e;
  e.kind = kind;
  e.peer = peer;
  e.why = std::move(why);
  return e;
}

inline uint64_t seqOf(const PeerMessage& m) {
  return std::visit(
      [](const auto& v) -> uint64_t {
        if constexpr (requires { v.seq; }) return v.seq;
        return 0;
      },
      m);
}

// Records listener calls (made on the node's io thread) for the test thread to wait on.
class Recorder final : public TransportListener {
 public:
  std::atomic<Transport*> autoAck{nullptr};  // acknowledges every incoming message at once

  void onOutgoingUp(PeerId p) override { push(event(Kind::kOutgoingUp, p)); }
  void onOutgoingDown(PeerId p, const std::string& why) override {
    push(event(Kind::kOutgoingDown, p, why));
  }
  void onAck(PeerId p, const Ack& ack) override {
    Event e = event(Kind::kAck, p);
    e.ack = ack;
    push(std::move(e));
  }
  void onIncomingUp(PeerId p) override { push(event(Kind::kIncomingUp, p)); }
  void onIncomingDown(PeerId p, const std::string& why) override {
    push(event(Kind::kIncomingDown, p, why));
  }
  void onIncoming(PeerId p, PeerMessage m) override {
    if (Transport* t = autoAck.load()) t->ack(p, Ack{seqOf(m), 0});
    Event e = event(Kind::kIncoming, p);
    e.message = std::move(m);
    push(std::move(e));
  }
  void onMalformed(PeerId p, const std::string& why) override {
    push(event(Kind::kMalformed, p, why));
  }

  // The next event of `kind` after those already taken; earlier events of other kinds are taken
  // too. nullopt after `timeout`.
  std::optional<Event> waitFor(Kind kind, std::chrono::milliseconds timeout = kWait) {
    std::unique_lock lock(mu_);
    std::optional<Event> found;
    cv_.wait_for(lock, timeout, [&] {
      for (; cursor_ < events_.size(); ++cursor_) {
        if (events_[cursor_].kind == kind) {
          found = events_[cursor_++];
          return true;
        }
      }
      return false;
    });
    return found;
  }
  // The next event about a peer's stream to us (our own dials' events are skipped).
  std::optional<Event> nextIncoming(std::chrono::milliseconds timeout = kWait) {
    std::unique_lock lock(mu_);
    std::optional<Event> found;
    cv_.wait_for(lock, timeout, [&] {
      for (; cursor_ < events_.size(); ++cursor_) {
        const Kind k = events_[cursor_].kind;
        if (k != Kind::kOutgoingUp && k != Kind::kOutgoingDown && k != Kind::kAck) {
          found = events_[cursor_++];
          return true;
        }
      }
      return false;
    });
    return found;
  }
  size_t count(Kind kind) const {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const Event& e : events_) n += e.kind == kind ? 1 : 0;
    return n;
  }

 private:
  void push(Event e) {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(e));
    cv_.notify_all();
  }
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Event> events_;
  size_t cursor_ = 0;
};

// One director's sync thread and transport.
class Node {
 public:
  Node() : work_(io_.get_executor()), thread_([this] { io_.run(); }) {}
  ~Node() {
    stopTransport();
    work_.reset();
    io_.stop();
    thread_.join();
  }

  template <typename F>
  auto onIo(F fn) -> decltype(fn()) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto result = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    if (result.wait_for(10s) != std::future_status::ready) std::abort();  // a hung io thread
    return result.get();
  }

  Status start(const SyncConfig& config, GrpcLimits limits = {}) {
    return onIo([&]() -> Status {
      auto started = GrpcTransport::start(config, io_, listener, limits);
      if (!started) return Error{started.error()};
      transport = std::move(*started);
      return okStatus();
    });
  }
  void stopTransport() {
    onIo([this] {
      if (transport) transport->stop();
      transport.reset();
    });
  }
  uint16_t port() const { return transport->boundPort(); }

  Recorder listener;
  std::unique_ptr<GrpcTransport> transport;

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

inline std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A hand-driven client of ConnectionSync that writes whatever bytes a test wants.
class RawClient {
 public:
  RawClient(uint16_t port, const CertFiles& files, const std::string& caFile) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = readFile(caFile);
    options.pem_private_key = readFile(files.key);
    options.pem_cert_chain = readFile(files.cert);
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("dirB");
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    channel_ = grpc::CreateCustomChannel("ipv4:127.0.0.1:" + std::to_string(port),
                                         grpc::SslCredentials(options), args);
    context_.set_deadline(std::chrono::system_clock::now() + 10s);
    stream_.reset(
        grpc::internal::ClientReaderWriterFactory<grpc::ByteBuffer, grpc::ByteBuffer>::Create(
            channel_.get(),
            grpc::internal::RpcMethod("/ha.sync.proto.ConnectionSync/Stream",
                                      grpc::internal::RpcMethod::BIDI_STREAMING),
            &context_));
  }
  ~RawClient() {
    if (!finished_) {
      context_.TryCancel();
      (void)stream_->Finish();
    }
  }

  bool writeBytes(const std::string& bytes) {
    grpc::Slice slice(bytes);
    grpc::ByteBuffer buffer(&slice, 1);
    return stream_->Write(buffer);
  }
  bool write(const PeerMessage& m) { return writeBytes(encode(m).SerializeAsString()); }
  bool hello(const std::string& node) { return write(Hello{node, kProtocolVersion, 7}); }
  std::optional<proto::SyncMessage> read() {
    grpc::ByteBuffer buffer;
    if (!stream_->Read(&buffer)) return std::nullopt;
    proto::SyncMessage m;
    if (!grpc::SerializationTraits<proto::SyncMessage>::Deserialize(&buffer, &m).ok()) return {};
    return m;
  }
  // Reads until the server ends the stream; its status.
  grpc::Status finish() {
    while (read()) {
    }
    finished_ = true;
    return stream_->Finish();
  }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>> stream_;
  bool finished_ = false;
};

// A port nothing accepts on: bound, never listening.
class DeadPort {
 public:
  DeadPort() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~DeadPort() { close(fd_); }
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

class GrpcTransportTest : public ::testing::Test {
 protected:
  SyncConfig config(const std::string& name, const CertFiles& files, const std::string& peer,
                    uint16_t peerPort, uint16_t listenPort = 0) {
    SyncConfig c;
    c.enabled = true;
    c.nodeName = name;
    c.listenAddress = *IpAddress::parse("127.0.0.1");
    c.listenPort = listenPort;
    c.peers.push_back(PeerConfig{peer, *IpAddress::parse("127.0.0.1"), peerPort});
    c.tls = TlsConfig{ca_.caFile(), files.cert, files.key};
    return c;
  }
  // B listens, acknowledges everything, and dials A at a dead port (A's streams to B are the
  // ones under test).
  void startB(Node& b, uint16_t listenPort = 0, GrpcLimits limits = {}) {
    ASSERT_TRUE(b.start(config("dirB", certB_, "dirA", dead_.port(), listenPort), limits).ok());
    b.listener.autoAck = b.transport.get();
  }

  test::TempDir dir_;
  test::TestCa ca_{dir_.path(), "good"};
  CertFiles certA_ = ca_.issue("dirA");
  CertFiles certB_ = ca_.issue("dirB");
  DeadPort dead_;
};

inline FlowUpdate flow(uint16_t clientPort) {
  FlowUpdate u;
  u.entry.l4proto = kProtoTcp;
  u.entry.original =
      FlowTuple{*IpAddress::parse("203.0.113.10"), *IpAddress::parse("192.0.2.1"), clientPort, 80};
  u.entry.reply =
      FlowTuple{*IpAddress::parse("10.0.0.5"), *IpAddress::parse("203.0.113.10"), 80, clientPort};
  u.entry.status = kIpsSeenReply | kIpsAssured;
  u.entry.tcpState = 3;
  u.entry.timeoutSeconds = 300;
  return u;
}

}  // namespace ha::sync::grpc_test
