#include "sync/sync_codec.h"

#include <gtest/gtest.h>

#include <string>

namespace ha::sync {
namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

FlowUpdate upsert(const char* client, const char* vip, const char* real, const char* laddr,
                  uint8_t l4proto = kProtoTcp) {
  FlowUpdate u;
  u.entry.l4proto = l4proto;
  u.entry.original = FlowTuple{ip(client), ip(vip), 40000, 80};
  u.entry.reply = FlowTuple{ip(real), ip(laddr), 8080, 50000};
  u.entry.status = kIpsSeenReply | kIpsAssured;
  u.entry.tcpState = l4proto == kProtoTcp ? 3 : 0;  // ESTABLISHED
  u.entry.timeoutSeconds = 431999;
  return u;
}

FlowUpdate remove(const char* client, const char* vip) {
  FlowUpdate u;
  u.op = FlowOp::kRemove;
  u.entry.l4proto = kProtoUdp;
  u.entry.original = FlowTuple{ip(client), ip(vip), 5353, 53};
  return u;
}

PeerMessage roundTrip(const PeerMessage& message) {
  proto::SyncMessage wire;
  EXPECT_TRUE(wire.ParseFromString(encode(message).SerializeAsString()));
  auto decoded = decode(wire);
  EXPECT_TRUE(decoded.ok()) << decoded.error();
  return decoded.ok() ? *decoded : PeerMessage{};
}

std::string refusal(const proto::SyncMessage& message) {
  auto decoded = decode(message);
  return decoded.ok() ? std::string("(accepted)") : decoded.error();
}

proto::SyncMessage batchOf(const FlowUpdate& update) {
  return encode(PeerMessage{FlowBatch{7, false, {update}}});
}

proto::Flow& onlyFlow(proto::SyncMessage& message) {
  return *message.mutable_batch()->mutable_flows(0);
}

// Every message kind survives encode -> bytes -> decode unchanged.
TEST(SyncCodec, RoundTripsEveryKind) {
  const PeerMessage messages[] = {
      Hello{"dirA", kProtocolVersion, 0x1234567890abcdefULL},
      BulkBegin{1},
      FlowBatch{2, true, {upsert("203.0.113.10", "192.0.2.100", "10.0.0.5", "10.0.0.250")}},
      BulkEnd{3, 1},
      Ack{3, 2},
  };
  for (const PeerMessage& m : messages) EXPECT_EQ(roundTrip(m), m);
}

// IPv4 and IPv6 flows, upserts (TCP, UDP) and removes, in one batch.
TEST(SyncCodec, RoundTripsFlowsOfBothFamilies) {
  FlowBatch batch{42, false, {}};
  batch.updates.push_back(upsert("203.0.113.10", "192.0.2.100", "10.0.0.5", "203.0.113.10"));
  batch.updates.push_back(upsert("2001:db8::10", "2001:db8::100", "fd00::5", "fd00::250"));
  batch.updates.push_back(
      upsert("2001:db8::11", "2001:db8::100", "fd00::6", "2001:db8::11", kProtoUdp));
  batch.updates.push_back(remove("198.51.100.7", "192.0.2.53"));
  batch.updates.push_back(remove("2001:db8::7", "2001:db8::53"));
  EXPECT_EQ(roundTrip(PeerMessage{batch}), PeerMessage{batch});
}

// The mark stays home; a remove carries only its key.
TEST(SyncCodec, DropsMarkAndEverythingButTheKeyOfARemove) {
  FlowUpdate u = upsert("203.0.113.10", "192.0.2.100", "10.0.0.5", "10.0.0.250");
  u.entry.mark = 0xd1000007;
  auto back = std::get<FlowBatch>(roundTrip(PeerMessage{FlowBatch{1, false, {u}}}));
  EXPECT_EQ(back.updates[0].entry.mark, 0u);
  u.op = FlowOp::kRemove;
  back = std::get<FlowBatch>(roundTrip(PeerMessage{FlowBatch{1, false, {u}}}));
  EXPECT_EQ(back.updates[0].entry.key(), u.entry.key());
  EXPECT_EQ(back.updates[0].entry.reply, FlowTuple{});
  EXPECT_EQ(back.updates[0].entry.timeoutSeconds, 0u);
}

// A message with no body is refused.
TEST(SyncCodec, RefusesEmptyMessage) {
  EXPECT_NE(refusal(proto::SyncMessage{}).find("no body"), std::string::npos);
}

// Hello: version and node name are checked.
TEST(SyncCodec, RefusesBadHello) {
  auto hello = encode(PeerMessage{Hello{"dirA", kProtocolVersion, 1}});
  hello.mutable_hello()->set_version(2);
  EXPECT_NE(refusal(hello).find("protocol version 2, expected 1"), std::string::npos);
  hello.mutable_hello()->set_version(kProtocolVersion);
  hello.mutable_hello()->set_node("");
  EXPECT_NE(refusal(hello).find("node name of 0 bytes"), std::string::npos);
  hello.mutable_hello()->set_node(std::string(65, 'a'));
  EXPECT_NE(refusal(hello).find("node name of 65 bytes"), std::string::npos);
  hello.mutable_hello()->set_node(std::string(64, 'a'));
  EXPECT_EQ(refusal(hello), "(accepted)");
  hello.mutable_hello()->set_node("dir\nA");
  EXPECT_NE(refusal(hello).find("control"), std::string::npos);
}

// Addresses: 4 or 16 bytes, one family per tuple and per flow.
TEST(SyncCodec, RefusesBadAddresses) {
  auto m = batchOf(upsert("203.0.113.10", "192.0.2.100", "10.0.0.5", "10.0.0.250"));
  onlyFlow(m).mutable_original()->set_src(std::string(5, '\1'));
  EXPECT_EQ(refusal(m), "flow 0: original source address has 5 bytes, expected 4 or 16");

  m = batchOf(upsert("203.0.113.10", "192.0.2.100", "10.0.0.5", "10.0.0.250"));
  onlyFlow(m).mutable_reply()->set_dst(std::string(16, '\1'));
  EXPECT_NE(refusal(m).find("flow 0: reply tuple mixes IPv4 and IPv6"), std::string::npos);

  m = batchOf(upsert("203.0.113.10", "192.0.2.100", "fd00::5", "fd00::250"));
  EXPECT_EQ(refusal(m), "flow 0: original and reply tuples are of different address families");

  m = batchOf(upsert("203.0.113.10", "192.0.2.100", "10.0.0.5", "10.0.0.250"));
  onlyFlow(m).clear_original();
  EXPECT_EQ(refusal(m), "flow 0: original tuple missing");
}

// Ports: at most 65535, never 0 in a TCP or UDP flow.
TEST(SyncCodec, RefusesBadPorts) {
  auto m = batchOf(upsert("203.0.113.10", "192.0.2.100", "10.0.0.5", "10.0.0.250"));
  onlyFlow(m).mutable_original()->set_dst_port(65536);
  EXPECT_EQ(refusal(m), "flow 0: original destination port 65536 > 65535");
  onlyFlow(m).mutable_original()->set_dst_port(80);
  onlyFlow(m).mutable_reply()->set_src_port(0);
  EXPECT_EQ(refusal(m), "flow 0: reply source port is 0");
}

// Protocol, TCP state, status bits and timeout are bounded.
TEST(SyncCodec, RefusesBadProtocolStateStatusTimeout) {
  const auto base = batchOf(upsert("203.0.113.10", "192.0.2.100", "10.0.0.5", "10.0.0.250"));
  auto m = base;
  onlyFlow(m).set_l4proto(1);
  EXPECT_EQ(refusal(m), "flow 0: l4proto 1 is neither TCP (6) nor UDP (17)");
  m = base;
  onlyFlow(m).set_tcp_state(kTcpStateMax + 1);
  EXPECT_EQ(refusal(m), "flow 0: tcp_state 10 > 9");
  m = base;
  onlyFlow(m).set_l4proto(kProtoUdp);
  EXPECT_EQ(refusal(m), "flow 0: tcp_state 3 on a UDP flow");
  m = base;
  onlyFlow(m).set_status(1u << 3);  // IPS_SRC_NAT: the tuples say that, not the peer
  EXPECT_EQ(refusal(m), "flow 0: status bits 8 outside IPS_SEEN_REPLY|IPS_ASSURED");
  m = base;
  onlyFlow(m).set_timeout(kMaxFlowTimeoutSeconds + 1);
  EXPECT_EQ(refusal(m), "flow 0: timeout 604801 s exceeds 7 days");
  onlyFlow(m).set_timeout(kMaxFlowTimeoutSeconds);
  EXPECT_EQ(refusal(m), "(accepted)");
}

// An upsert needs its reply tuple; a remove does without, and ignores a broken one.
TEST(SyncCodec, ReplyTupleNeededOnlyByUpserts) {
  auto m = batchOf(upsert("203.0.113.10", "192.0.2.100", "10.0.0.5", "10.0.0.250"));
  onlyFlow(m).clear_reply();
  EXPECT_EQ(refusal(m), "flow 0: reply tuple missing on an upsert");
  onlyFlow(m).set_remove(true);
  EXPECT_EQ(refusal(m), "(accepted)");
  onlyFlow(m).mutable_reply()->set_src("x");
  onlyFlow(m).set_tcp_state(99);
  EXPECT_EQ(refusal(m), "(accepted)");
}

// A batch holds at most kMaxFlowsPerBatch flows; the failing flow's index is named.
TEST(SyncCodec, BoundsBatchAndNamesTheFlow) {
  FlowBatch batch{1, true, {}};
  batch.updates.assign(kMaxFlowsPerBatch,
                       upsert("203.0.113.10", "192.0.2.100", "10.0.0.5", "10.0.0.250"));
  auto m = encode(PeerMessage{batch});
  EXPECT_EQ(refusal(m), "(accepted)");
  m.mutable_batch()->mutable_flows(17)->set_l4proto(0);
  EXPECT_EQ(refusal(m).rfind("flow 17: ", 0), 0u);
  *m.mutable_batch()->add_flows() = m.batch().flows(0);
  EXPECT_EQ(refusal(m), "batch of 4097 flows exceeds 4096");
}

// The largest flow encode() can write: IPv6, every field at its largest legal value.
FlowUpdate largestFlow() {
  FlowUpdate u = upsert("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8::ffff",
                        "2001:db8:1:ffff:ffff:ffff:ffff:ffff", "2001:db8:2:ffff:ffff:ffff:ffff:ffff");
  u.entry.original.srcPort = u.entry.original.dstPort = 65535;
  u.entry.reply.srcPort = u.entry.reply.dstPort = 65535;
  u.entry.status = kSyncedStatusBits;
  u.entry.tcpState = kTcpStateMax;
  u.entry.timeoutSeconds = kMaxFlowTimeoutSeconds;
  return u;
}

// kMaxEncodedFlowBytes is the largest flow's size in a batch, remove flag included (which
// encode() never sets on an upsert, so no real flow reaches it), and exact.
TEST(SyncCodec, LargestFlowFitsItsBound) {
  FlowBatch one{1, false, {largestFlow()}};
  proto::SyncMessage m = encode(PeerMessage{one});
  const size_t withoutBatch = encode(PeerMessage{FlowBatch{1, false, {}}}).ByteSizeLong();
  EXPECT_EQ(m.ByteSizeLong() - withoutBatch, kMaxEncodedFlowBytes - 2);
  m.mutable_batch()->mutable_flows(0)->set_remove(true);
  EXPECT_EQ(m.ByteSizeLong() - withoutBatch, kMaxEncodedFlowBytes);
}

// A batch of kMaxFlowsPerBatch largest flows with the largest sequence number fits
// kMaxEncodedMessageBytes, within 2 bytes per flow plus the rounding; it decodes whole.
TEST(SyncCodec, LargestBatchFitsTheMessageLimit) {
  FlowBatch batch{UINT64_MAX, true, {}};
  batch.updates.assign(kMaxFlowsPerBatch, largestFlow());
  const proto::SyncMessage m = encode(PeerMessage{batch});
  EXPECT_LE(m.ByteSizeLong(), kMaxEncodedMessageBytes);
  EXPECT_GE(m.ByteSizeLong() + 2 * kMaxFlowsPerBatch + 64, kMaxEncodedMessageBytes);
  EXPECT_EQ(refusal(m), "(accepted)");
  const proto::SyncMessage ack = encode(PeerMessage{Ack{UINT64_MAX, UINT64_MAX}});
  EXPECT_LE(ack.ByteSizeLong(), kMaxEncodedAckBytes);
}

}  // namespace
}  // namespace ha::sync
