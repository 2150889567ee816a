// GrpcLimits and the message-size limits over loopback: the largest batch we send crosses, a
// larger message is refused by gRPC before our parser sees it, what a sender of a huge message
// makes us hold is bounded by the memory quota (measured on this process, the client being a child
// process), a stream without a Hello is ended at the deadline, streams past the cap are refused
// at once, and our dials take nothing larger than an Ack. Every wait is bounded.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "grpc_test_harness.h"
#include "sync/grpc_transport.h"
#include "sync/sync_codec.h"

namespace ha::sync {
namespace {

using namespace std::chrono_literals;
using namespace grpc_test;  // NOLINT(google-build-using-namespace)

long statusKib(const char* field) {  // a "VmRSS:"/"VmHWM:" line of /proc/self/status
  std::ifstream status("/proc/self/status");
  std::string key;
  long value = -1;
  while (status >> key) {
    if (key == field) {
      status >> value;
      break;
    }
    status.ignore(1 << 12, '\n');
  }
  return value;
}

// A SyncMessage of exactly `bytes` serialized bytes that parses (a Hello whose node name pads it),
// so only its size can make it fail.
std::string messageOfSize(size_t bytes) {
  proto::SyncMessage m;
  m.mutable_hello()->set_version(kProtocolVersion);
  m.mutable_hello()->set_node(std::string(bytes, 'x'));
  m.mutable_hello()->mutable_node()->resize(bytes - (m.ByteSizeLong() - bytes));
  return m.SerializeAsString();
}

FlowUpdate largestFlow(uint16_t i) {
  FlowUpdate u;
  u.entry.l4proto = kProtoTcp;
  u.entry.original = {*IpAddress::parse("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"),
                      *IpAddress::parse("2001:db8::ffff"), i, 65535};
  u.entry.reply = {*IpAddress::parse("2001:db8:1:ffff:ffff:ffff:ffff:ffff"),
                   *IpAddress::parse("2001:db8:2:ffff:ffff:ffff:ffff:ffff"), 65535, 65535};
  u.entry.status = kSyncedStatusBits;
  u.entry.tcpState = kTcpStateMax;
  u.entry.timeoutSeconds = kMaxFlowTimeoutSeconds;
  return u;
}

class GrpcLimitsTest : public GrpcTransportTest {
 protected:
  // The child process of OversizedMessageMemoryIsBoundedByTheQuota: writes one message of
  // `bytes` to B as dirA and returns how the stream ended ("status=RESOURCE_EXHAUSTED ...").
  std::string sendFromChild(uint16_t port, size_t bytes) {
    setenv("HA_LIMITS_PORT", std::to_string(port).c_str(), 1);
    setenv("HA_LIMITS_CA", ca_.caFile().c_str(), 1);
    setenv("HA_LIMITS_CERT", certA_.cert.c_str(), 1);
    setenv("HA_LIMITS_KEY", certA_.key.c_str(), 1);
    setenv("HA_LIMITS_BYTES", std::to_string(bytes).c_str(), 1);
    char self[4096] = {};
    if (readlink("/proc/self/exe", self, sizeof self - 1) <= 0) return "readlink failed";
    FILE* child = popen(("exec '" + std::string(self) +
                         "' --gtest_also_run_disabled_tests "
                         "--gtest_filter=GrpcLimitsChild.DISABLED_WritesOneBigMessage 2>&1")
                            .c_str(),
                        "r");
    if (child == nullptr) return "popen failed";
    std::string out;
    char line[512];
    while (fgets(line, sizeof line, child) != nullptr) {
      if (std::string(line).rfind("status=", 0) == 0) out = line;
    }
    pclose(child);
    return out;
  }
  // The server refused the message: RESOURCE_EXHAUSTED as a rule, but on a loaded machine the
  // server's reset can reach the child while it is still writing, which then ends UNAVAILABLE
  // ("Broken pipe", "Connection reset"). Either way the stream failed; what these tests hold is
  // the memory bound and that no message came through (MessageOverTheLimitIsRefusedBeforeParsing
  // holds the status itself, with a client that waits for it).
  static bool refused(const std::string& status) {
    return status.rfind("status=RESOURCE_EXHAUSTED", 0) == 0 ||
           status.rfind("status=UNAVAILABLE", 0) == 0;
  }
  // Peak RSS growth of this process (the server) while a child sends `bytes` (KiB).
  long peakGrowthKib(uint16_t port, size_t bytes, std::string& status) {
    const long before = statusKib("VmRSS:");
    std::ofstream("/proc/self/clear_refs") << "5";  // VmHWM := VmRSS
    status = sendFromChild(port, bytes);
    return statusKib("VmHWM:") - before;
  }
};

// The largest batch the protocol allows (4,096 IPv6 flows, every field at its largest) crosses.
TEST_F(GrpcLimitsTest, LargestBatchCrosses) {
  Node b;
  startB(b);
  Node a;
  ASSERT_TRUE(a.start(config("dirA", certA_, "dirB", b.port())).ok());
  ASSERT_TRUE(a.listener.waitFor(Kind::kOutgoingUp));
  FlowBatch batch{UINT64_MAX, true, {}};
  for (size_t i = 0; i < kMaxFlowsPerBatch; ++i) {
    batch.updates.push_back(largestFlow(static_cast<uint16_t>(65535 - i)));
  }
  ASSERT_GT(encode(PeerMessage{batch}).ByteSizeLong(), kMaxEncodedMessageBytes - 2 * 4096 - 64);
  a.onIo([&] { EXPECT_TRUE(a.transport->send(0, batch)); });
  auto got = b.listener.waitFor(Kind::kIncoming);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got->message, PeerMessage{batch});
}

// One byte over the limit: gRPC ends the stream RESOURCE_EXHAUSTED; our code never sees the
// message (neither delivered nor malformed), only the stream going down, and says why it may be.
TEST_F(GrpcLimitsTest, MessageOverTheLimitIsRefusedBeforeParsing) {
  Node b;
  startB(b);
  RawClient c(b.port(), certA_, ca_.caFile());
  ASSERT_TRUE(c.hello("dirA"));
  ASSERT_TRUE(c.read());
  ASSERT_TRUE(b.listener.waitFor(Kind::kIncomingUp));
  const std::string oneOver = messageOfSize(kMaxEncodedMessageBytes + 1);
  ASSERT_EQ(oneOver.size(), kMaxEncodedMessageBytes + 1);
  c.writeBytes(oneOver);
  const grpc::Status status = c.finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  auto down = b.listener.waitFor(Kind::kIncomingDown);
  ASSERT_TRUE(down);
  EXPECT_NE(down->why.find("over 434240 bytes"), std::string::npos) << down->why;
  EXPECT_EQ(b.listener.count(Kind::kIncoming), 0u);
  EXPECT_EQ(b.listener.count(Kind::kMalformed), 0u);
}

// A 64 MiB message (from a child process, so only the server's memory is measured) is refused, and
// the server's peak RSS does not follow it: it grows by less than a quarter of what the same
// message costs with a 256 MiB quota (the control: gRPC 1.51 buffers a message whole before its
// size check, so there it grows by more than 32 MiB), and by less than half the message.
// Measured here: +4.5-7 MiB against +74-78 MiB (under ASan +20 MiB against +178-182 MiB).
TEST_F(GrpcLimitsTest, OversizedMessageMemoryIsBoundedByTheQuota) {
  constexpr size_t kBig = 64u << 20;
  std::string status;
  long bounded = 0;
  {
    Node b;
    startB(b);
    bounded = peakGrowthKib(b.port(), kBig, status);
    std::printf("64 MiB message, default quota: peak RSS +%ld KiB, %s", bounded, status.c_str());
    EXPECT_TRUE(refused(status)) << status;
    EXPECT_EQ(b.listener.count(Kind::kIncoming), 0u);
  }
  Node b;
  GrpcLimits generous;
  generous.memoryQuotaBaseBytes = 256u << 20;
  startB(b, 0, generous);
  const long control = peakGrowthKib(b.port(), kBig, status);
  std::printf("64 MiB message, 256 MiB quota (control): peak RSS +%ld KiB, %s", control,
              status.c_str());
  EXPECT_GT(control, 32 * 1024);
  EXPECT_LT(bounded * 4, control);
  EXPECT_LT(bounded, 32 * 1024);
}

// After oversized messages (8 MiB, then 64 MiB) the quota's memory is back: a peer's largest
// batch still crosses.
TEST_F(GrpcLimitsTest, QuotaRecoversAfterOversizedMessages) {
  Node b;
  startB(b);
  std::string status;
  for (size_t bytes : {8u << 20, 64u << 20}) {
    const long growth = peakGrowthKib(b.port(), bytes, status);
    EXPECT_TRUE(refused(status)) << status;
    EXPECT_LT(growth, 32 * 1024);
  }
  Node a;
  ASSERT_TRUE(a.start(config("dirA", certA_, "dirB", b.port())).ok());
  ASSERT_TRUE(a.listener.waitFor(Kind::kOutgoingUp));
  FlowBatch batch{7, true, {}};
  for (size_t i = 0; i < kMaxFlowsPerBatch; ++i) {
    batch.updates.push_back(largestFlow(static_cast<uint16_t>(65535 - i)));
  }
  a.onIo([&] { EXPECT_TRUE(a.transport->send(0, batch)); });
  auto got = b.listener.waitFor(Kind::kIncoming);
  ASSERT_TRUE(got);
  EXPECT_EQ(*got->message, PeerMessage{batch});
}

// The child of the test above (skipped unless it set the environment).
TEST(GrpcLimitsChild, DISABLED_WritesOneBigMessage) {
  const char* port = std::getenv("HA_LIMITS_PORT");
  if (port == nullptr) GTEST_SKIP() << "run by OversizedMessageMemoryIsBoundedByTheQuota";
  RawClient c(static_cast<uint16_t>(std::atoi(port)),
              CertFiles{std::getenv("HA_LIMITS_CERT"), std::getenv("HA_LIMITS_KEY")},
              std::getenv("HA_LIMITS_CA"));
  ASSERT_TRUE(c.hello("dirA"));
  ASSERT_TRUE(c.read());
  c.writeBytes(messageOfSize(std::strtoull(std::getenv("HA_LIMITS_BYTES"), nullptr, 10)));
  const grpc::Status status = c.finish();
  static constexpr const char* kNames[] = {
      "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",  "DEADLINE_EXCEEDED",
      "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED"};
  const auto code = static_cast<size_t>(status.error_code());
  std::printf("status=%s %s\n", code < std::size(kNames) ? kNames[code] : "other",
              status.error_message().c_str());
}

// A stream that sends nothing is ended DEADLINE_EXCEEDED at the Hello deadline and counted; the
// listener hears nothing. A stream whose Hello came in time outlives the deadline.
TEST_F(GrpcLimitsTest, StreamWithoutHelloIsCutAtTheDeadline) {
  Node b;
  GrpcLimits limits;
  limits.helloDeadline = 300ms;
  startB(b, 0, limits);
  RawClient good(b.port(), certA_, ca_.caFile());
  ASSERT_TRUE(good.hello("dirA"));
  ASSERT_TRUE(good.read());
  const auto start = std::chrono::steady_clock::now();
  RawClient silent(b.port(), certA_, ca_.caFile());
  const grpc::Status status = silent.finish();
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
  EXPECT_NE(status.error_message().find("no Hello within 300 ms"), std::string::npos);
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 3s);
  EXPECT_EQ(b.transport->stats().helloTimeouts, 1u);
  EXPECT_EQ(b.transport->stats().refusedStreams, 0u);
  std::this_thread::sleep_for(200ms);  // the good stream is now well past its own deadline
  good.write(BulkBegin{1});
  auto ack = good.read();
  ASSERT_TRUE(ack && ack->has_ack());
  EXPECT_EQ(ack->ack().seq(), 1u);
  EXPECT_EQ(b.listener.count(Kind::kIncomingUp), 1u);
}

// Past the cap (streamsPerPeer × peers, here 1 × 1) a stream is refused at once,
// RESOURCE_EXHAUSTED, and counted; once the slot is free a peer gets in again.
TEST_F(GrpcLimitsTest, StreamsPastTheCapAreRefused) {
  Node b;
  GrpcLimits limits;
  limits.streamsPerPeer = 1;
  limits.helloDeadline = 500ms;
  startB(b, 0, limits);
  auto first = std::make_unique<RawClient>(b.port(), certA_, ca_.caFile());
  std::this_thread::sleep_for(100ms);  // the first stream has its slot
  const auto start = std::chrono::steady_clock::now();
  RawClient second(b.port(), certA_, ca_.caFile());
  const grpc::Status refused = second.finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << refused.error_message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 400ms);  // before the first one's deadline
  EXPECT_EQ(b.transport->stats().overCapStreams, 1u);
  EXPECT_EQ(first->finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  first.reset();
  RawClient third(b.port(), certA_, ca_.caFile());
  ASSERT_TRUE(third.hello("dirA"));
  ASSERT_TRUE(third.read());
  ASSERT_TRUE(b.listener.waitFor(Kind::kIncomingUp));
}

// A dialled "peer" that answers with more than an Ack's worth of bytes: our dial takes none of it
// (RESOURCE_EXHAUSTED) and the stream never counts as up.
class BigAnswerService final : public proto::ConnectionSync::Service {
  grpc::Status Stream(
      grpc::ServerContext*,
      grpc::ServerReaderWriter<proto::SyncMessage, proto::SyncMessage>* stream) override {
    proto::SyncMessage in;
    if (!stream->Read(&in)) return grpc::Status::OK;
    proto::SyncMessage answer;
    answer.mutable_ack()->set_seq(0);
    answer.mutable_hello()->set_node(std::string(kMaxEncodedAckBytes, 'x'));
    stream->Write(answer);
    while (stream->Read(&in)) {
    }
    return grpc::Status::OK;
  }
};

TEST_F(GrpcLimitsTest, DialTakesNothingLargerThanAnAck) {
  grpc::SslServerCredentialsOptions tls(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  tls.pem_root_certs = readFile(ca_.caFile());
  tls.pem_key_cert_pairs.push_back({readFile(certB_.key), readFile(certB_.cert)});
  BigAnswerService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(tls), &port);
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  ASSERT_TRUE(server && port != 0);
  Node a;
  ASSERT_TRUE(a.start(config("dirA", certA_, "dirB", static_cast<uint16_t>(port))).ok());
  auto down = a.listener.waitFor(Kind::kOutgoingDown);
  ASSERT_TRUE(down);
  EXPECT_NE(down->why.find("RESOURCE_EXHAUSTED"), std::string::npos) << down->why;
  EXPECT_EQ(a.listener.count(Kind::kOutgoingUp), 0u);
  a.stopTransport();
  server->Shutdown(std::chrono::system_clock::now() + 1s);
}

}  // namespace
}  // namespace ha::sync
