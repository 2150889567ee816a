// GrpcTransport over loopback with certificates made for the test: streams, acks, identity
// refusals, garbage resets, reconnects and restarts. Each node runs its own io_context thread, as
// the sync thread does in directord; every wait is bounded.
#include "sync/grpc_transport.h"

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
#include "sync/sync_codec.h"
#include "test_certs.h"

namespace ha::sync {
namespace {

using namespace std::chrono_literals;
using test::CertFiles;

constexpr auto kWait = 5s;

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

Event event(Kind kind, PeerId peer, std::string why = {}) {
  Event e;
  e.kind = kind;
  e.peer = peer;
  e.why = std::move(why);
  return e;
}

uint64_t seqOf(const PeerMessage& m) {
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

  Status start(const SyncConfig& config) {
    return onIo([&]() -> Status {
      auto started = GrpcTransport::start(config, io_, listener);
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

std::string readFile(const std::string& path) {
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
  void startB(Node& b, uint16_t listenPort = 0) {
    ASSERT_TRUE(b.start(config("dirB", certB_, "dirA", dead_.port(), listenPort)).ok());
    b.listener.autoAck = b.transport.get();
  }

  test::TempDir dir_;
  test::TestCa ca_{dir_.path(), "good"};
  CertFiles certA_ = ca_.issue("dirA");
  CertFiles certB_ = ca_.issue("dirB");
  DeadPort dead_;
};

FlowUpdate flow(uint16_t clientPort) {
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

// A's stream to B comes up after B accepts its Hello; messages arrive in order; acks come back.
TEST_F(GrpcTransportTest, StreamComesUpCarriesMessagesInOrderAndAcksComeBack) {
  Node b;
  startB(b);
  Node a;
  ASSERT_TRUE(a.start(config("dirA", certA_, "dirB", b.port())).ok());
  ASSERT_TRUE(a.listener.waitFor(Kind::kOutgoingUp));
  auto up = b.listener.waitFor(Kind::kIncomingUp);
  ASSERT_TRUE(up);
  EXPECT_EQ(up->peer, 0u);

  const std::vector<PeerMessage> messages = {BulkBegin{1},
                                             FlowBatch{2, true, {flow(40000), flow(40001)}},
                                             BulkEnd{3, 2}, FlowBatch{4, false, {flow(40002)}}};
  a.onIo([&] {
    for (const auto& m : messages) EXPECT_TRUE(a.transport->send(0, m));
  });
  for (const auto& m : messages) {
    auto got = b.listener.waitFor(Kind::kIncoming);
    ASSERT_TRUE(got);
    EXPECT_EQ(*got->message, m);
  }
  for (uint64_t seq = 1; seq <= 4; ++seq) {
    auto ack = a.listener.waitFor(Kind::kAck);
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->ack.seq, seq);
  }
  EXPECT_EQ(a.onIo([&] { return a.transport->pendingWrites(0); }), 0u);
  EXPECT_EQ(b.transport->refusedStreams(), 0u);
  EXPECT_EQ(b.listener.count(Kind::kMalformed), 0u);
}

// A peer nobody answers for: down (once per dial), redialled, and send() refuses meanwhile.
TEST_F(GrpcTransportTest, DeadPeerIsReportedDownAndRedialled) {
  Node a;
  ASSERT_TRUE(a.start(config("dirA", certA_, "dirB", dead_.port())).ok());
  auto first = a.listener.waitFor(Kind::kOutgoingDown);
  ASSERT_TRUE(first);
  EXPECT_NE(first->why.find("dial failed"), std::string::npos) << first->why;
  EXPECT_TRUE(a.listener.waitFor(Kind::kOutgoingDown));  // the redial failed too
  EXPECT_FALSE(a.onIo([&] { return a.transport->send(0, BulkBegin{1}); }));
  EXPECT_EQ(a.listener.count(Kind::kOutgoingUp), 0u);
}

// A certificate from a CA we do not trust fails the TLS handshake: no stream, no onIncomingUp.
TEST_F(GrpcTransportTest, CertificateFromUntrustedCaIsRefused) {
  Node b;
  startB(b);
  test::TestCa rogueCa(dir_.path(), "rogue");
  const CertFiles rogue = rogueCa.issue("dirA");
  Node r;
  SyncConfig rc = config("dirA", rogue, "dirB", b.port());  // trusts our CA, is not trusted by it
  ASSERT_TRUE(r.start(rc).ok());
  ASSERT_TRUE(r.listener.waitFor(Kind::kOutgoingDown));
  ASSERT_TRUE(r.listener.waitFor(Kind::kOutgoingDown));
  EXPECT_EQ(r.listener.count(Kind::kOutgoingUp), 0u);
  EXPECT_EQ(b.listener.count(Kind::kIncomingUp), 0u);
}

// A trusted certificate whose name is not the Hello's node, or a node that is not our peer: the
// stream ends PERMISSION_DENIED, counted, and the listener hears nothing.
TEST_F(GrpcTransportTest, HelloThatDoesNotMatchTheCertificateIsRefused) {
  Node b;
  startB(b);
  const CertFiles certC = ca_.issue("dirC");
  {
    RawClient c(b.port(), certC, ca_.caFile());
    c.hello("dirA");
    const grpc::Status status = c.finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_NE(status.error_message().find("does not match its certificate"), std::string::npos)
        << status.error_message();
  }
  {
    RawClient c(b.port(), certC, ca_.caFile());
    c.hello("dirC");
    const grpc::Status status = c.finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_NE(status.error_message().find("not one of our peers"), std::string::npos);
  }
  {
    RawClient c(b.port(), certA_, ca_.caFile());
    c.write(BulkBegin{1});
    EXPECT_EQ(c.finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
  EXPECT_EQ(b.transport->refusedStreams(), 3u);
  EXPECT_EQ(b.listener.count(Kind::kIncomingUp), 0u);
  EXPECT_EQ(b.listener.count(Kind::kMalformed), 0u);
}

// B restarts: A sees its stream go down, redials, and sees it up again.
TEST_F(GrpcTransportTest, PeerRestartIsSeenAsDownThenUpAgain) {
  Node b;
  startB(b);
  const uint16_t port = b.port();
  Node a;
  ASSERT_TRUE(a.start(config("dirA", certA_, "dirB", port)).ok());
  ASSERT_TRUE(a.listener.waitFor(Kind::kOutgoingUp));
  ASSERT_TRUE(b.listener.waitFor(Kind::kIncomingUp));
  b.stopTransport();
  auto down = a.listener.waitFor(Kind::kOutgoingDown);
  ASSERT_TRUE(down);
  startB(b, port);
  ASSERT_TRUE(a.listener.waitFor(Kind::kOutgoingUp));
  ASSERT_TRUE(b.listener.waitFor(Kind::kIncomingUp));  // the one after the restart
  a.onIo([&] { EXPECT_TRUE(a.transport->send(0, BulkBegin{9})); });
  auto ack = a.listener.waitFor(Kind::kAck);
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->ack.seq, 9u);
}

// Malformed messages are reported one by one; a good one ends the streak; more than 16 in a row
// reset the stream with INVALID_ARGUMENT, counted.
TEST_F(GrpcTransportTest, MalformedFloodResetsTheStream) {
  Node b;
  startB(b);
  RawClient c(b.port(), certA_, ca_.caFile());
  ASSERT_TRUE(c.hello("dirA"));
  auto accepted = c.read();
  ASSERT_TRUE(accepted && accepted->has_ack());
  EXPECT_EQ(accepted->ack().seq(), 0u);
  ASSERT_TRUE(b.listener.waitFor(Kind::kIncomingUp));

  const std::string empty;  // a SyncMessage with no body
  for (unsigned i = 0; i < kMaxMalformedInARow; ++i) c.writeBytes(empty);
  c.write(BulkBegin{1});
  auto ack = c.read();
  ASSERT_TRUE(ack && ack->has_ack());
  EXPECT_EQ(ack->ack().seq(), 1u);
  EXPECT_EQ(b.transport->resetStreams(), 0u);
  c.write(Hello{"dirA", kProtocolVersion, 8});  // a second Hello is malformed too
  for (unsigned i = 0; i < kMaxMalformedInARow; ++i) c.writeBytes(empty);
  EXPECT_EQ(c.finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  auto down = b.listener.waitFor(Kind::kIncomingDown);
  ASSERT_TRUE(down);
  EXPECT_NE(down->why.find("17 malformed messages in a row"), std::string::npos) << down->why;
  EXPECT_EQ(b.transport->resetStreams(), 1u);
  EXPECT_EQ(b.listener.count(Kind::kMalformed), 2 * kMaxMalformedInARow + 1);
  EXPECT_EQ(b.listener.count(Kind::kIncoming), 1u);
}

// A peer that writes past its window without waiting for acks is flooding: once more than
// kMaxUnackedMessages are outstanding its stream is reset, counted; what arrived before is kept.
TEST_F(GrpcTransportTest, UnacknowledgedFloodResetsTheStream) {
  Node b;
  startB(b);
  b.listener.autoAck = nullptr;  // the receiver is "busy": it acknowledges nothing
  RawClient c(b.port(), certA_, ca_.caFile());
  ASSERT_TRUE(c.hello("dirA"));
  ASSERT_TRUE(c.read());
  ASSERT_TRUE(b.listener.waitFor(Kind::kIncomingUp));
  for (uint64_t seq = 1; seq <= kMaxUnackedMessages + 1; ++seq) {
    c.write(FlowBatch{seq, false, {flow(static_cast<uint16_t>(30000 + seq))}});
  }
  EXPECT_EQ(c.finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto down = b.listener.waitFor(Kind::kIncomingDown);
  ASSERT_TRUE(down);
  EXPECT_NE(down->why.find("flood"), std::string::npos) << down->why;
  EXPECT_EQ(b.transport->resetStreams(), 1u);
  EXPECT_EQ(b.listener.count(Kind::kIncoming), kMaxUnackedMessages);
}

// Bytes that are not protobuf at all end the stream at once.
TEST_F(GrpcTransportTest, NonProtobufBytesResetTheStream) {
  Node b;
  startB(b);
  RawClient c(b.port(), certA_, ca_.caFile());
  ASSERT_TRUE(c.hello("dirA"));
  ASSERT_TRUE(c.read());
  c.writeBytes(std::string("\x0f\xff\xff", 3));
  EXPECT_EQ(c.finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(b.listener.waitFor(Kind::kIncomingDown));
  EXPECT_EQ(b.transport->resetStreams(), 1u);
  EXPECT_EQ(b.listener.count(Kind::kMalformed), 1u);
}

// A second stream from the same peer replaces the first: down for the old, then up, in order.
TEST_F(GrpcTransportTest, ReconnectReplacesTheOldStream) {
  Node b;
  startB(b);
  RawClient first(b.port(), certA_, ca_.caFile());
  ASSERT_TRUE(first.hello("dirA"));
  ASSERT_TRUE(first.read());
  ASSERT_TRUE(b.listener.waitFor(Kind::kIncomingUp));
  RawClient second(b.port(), certA_, ca_.caFile());
  ASSERT_TRUE(second.hello("dirA"));
  ASSERT_TRUE(second.read());
  auto down = b.listener.nextIncoming();
  ASSERT_TRUE(down);
  EXPECT_EQ(down->kind, Kind::kIncomingDown);
  EXPECT_NE(down->why.find("replaced"), std::string::npos) << down->why;
  auto up = b.listener.nextIncoming();
  ASSERT_TRUE(up);
  EXPECT_EQ(up->kind, Kind::kIncomingUp);
  EXPECT_EQ(first.finish().error_code(), grpc::StatusCode::ABORTED);
  // The new stream is the one that carries messages.
  second.write(BulkBegin{5});
  auto ack = second.read();
  ASSERT_TRUE(ack && ack->has_ack());
  EXPECT_EQ(ack->ack().seq(), 5u);
  EXPECT_EQ(b.listener.count(Kind::kIncomingDown), 1u);
}

// start() refuses unreadable files, naming them, and a port already in use.
TEST_F(GrpcTransportTest, StartRefusesMissingFilesAndBusyPort) {
  Node b;
  SyncConfig bad = config("dirB", certB_, "dirA", dead_.port());
  bad.tls.keyFile = dir_.path() + "/missing-key.pem";
  auto refused = b.start(bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find(bad.tls.keyFile), std::string::npos) << refused.error();
  bad = config("dirB", certB_, "dirA", dead_.port());
  bad.tls.keyFile = certA_.key;  // a key, but not this certificate's
  refused = b.start(bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("does not belong"), std::string::npos) << refused.error();

  startB(b);
  Node other;
  refused = other.start(config("dirB", certB_, "dirA", dead_.port(), b.port()));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("cannot listen"), std::string::npos) << refused.error();
}

}  // namespace
}  // namespace ha::sync
