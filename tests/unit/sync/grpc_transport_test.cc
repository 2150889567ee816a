// GrpcTransport over loopback with certificates made for the test: streams, acks, identity
// refusals, garbage resets, reconnects and restarts. Each node runs its own io_context thread, as
// the sync thread does in directord; every wait is bounded.
#include "sync/grpc_transport.h"

#include <gtest/gtest.h>

#include "grpc_test_harness.h"

namespace ha::sync {
namespace {

using namespace std::chrono_literals;
using namespace grpc_test;  // NOLINT(google-build-using-namespace)

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
  EXPECT_EQ(b.transport->stats().refusedStreams, 0u);
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
  EXPECT_EQ(b.transport->stats().refusedStreams, 3u);
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
  EXPECT_EQ(b.transport->stats().resetStreams, 0u);
  c.write(Hello{"dirA", kProtocolVersion, 8});  // a second Hello is malformed too
  for (unsigned i = 0; i < kMaxMalformedInARow; ++i) c.writeBytes(empty);
  EXPECT_EQ(c.finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  auto down = b.listener.waitFor(Kind::kIncomingDown);
  ASSERT_TRUE(down);
  EXPECT_NE(down->why.find("17 malformed messages in a row"), std::string::npos) << down->why;
  EXPECT_EQ(b.transport->stats().resetStreams, 1u);
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
  EXPECT_EQ(b.transport->stats().resetStreams, 1u);
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
  EXPECT_EQ(b.transport->stats().resetStreams, 1u);
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
