#include "sync/sync_codec.h"

#include <string>
#include <type_traits>

namespace ha::sync {
namespace {

constexpr uint32_t kMaxPort = 65535;

void encodeTuple(const FlowTuple& tuple, proto::Tuple& out) {
  out.set_src(reinterpret_cast<const char*>(tuple.src.bytes()), tuple.src.size());
  out.set_dst(reinterpret_cast<const char*>(tuple.dst.bytes()), tuple.dst.size());
  out.set_src_port(tuple.srcPort);
  out.set_dst_port(tuple.dstPort);
}

void encodeFlow(const FlowUpdate& update, proto::Flow& out) {
  const FlowEntry& entry = update.entry;
  out.set_l4proto(entry.l4proto);
  encodeTuple(entry.original, *out.mutable_original());
  if (update.op == FlowOp::kRemove) {
    out.set_remove(true);
    return;
  }
  encodeTuple(entry.reply, *out.mutable_reply());
  out.set_status(entry.status);
  out.set_tcp_state(entry.tcpState);
  out.set_timeout(entry.timeoutSeconds);
}

Result<IpAddress> decodeAddress(const std::string& bytes, const char* what) {
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  if (bytes.size() == 4) return IpAddress::fromBytes(Family::kV4, data);
  if (bytes.size() == 16) return IpAddress::fromBytes(Family::kV6, data);
  return Error{std::string(what) + " address has " + std::to_string(bytes.size()) +
               " bytes, expected 4 or 16"};
}

Result<uint16_t> decodePort(uint32_t port, const char* what) {
  if (port > kMaxPort)
    return Error{std::string(what) + " port " + std::to_string(port) + " > 65535"};
  if (port == 0) return Error{std::string(what) + " port is 0"};
  return static_cast<uint16_t>(port);
}

// `side` is "original" or "reply"; TCP and UDP flows need every port.
Result<FlowTuple> decodeTuple(const proto::Tuple& tuple, const std::string& side) {
  FlowTuple out;
  auto src = decodeAddress(tuple.src(), (side + " source").c_str());
  if (!src) return Error{src.error()};
  auto dst = decodeAddress(tuple.dst(), (side + " destination").c_str());
  if (!dst) return Error{dst.error()};
  if (src->family() != dst->family()) {
    return Error{side + " tuple mixes IPv4 and IPv6 (" + src->str() + " -> " + dst->str() + ")"};
  }
  auto srcPort = decodePort(tuple.src_port(), (side + " source").c_str());
  if (!srcPort) return Error{srcPort.error()};
  auto dstPort = decodePort(tuple.dst_port(), (side + " destination").c_str());
  if (!dstPort) return Error{dstPort.error()};
  return FlowTuple{*src, *dst, *srcPort, *dstPort};
}

Result<FlowUpdate> decodeFlow(const proto::Flow& flow) {
  FlowUpdate update;
  update.op = flow.remove() ? FlowOp::kRemove : FlowOp::kUpsert;
  FlowEntry& entry = update.entry;
  if (flow.l4proto() != kProtoTcp && flow.l4proto() != kProtoUdp) {
    return Error{"l4proto " + std::to_string(flow.l4proto()) + " is neither TCP (6) nor UDP (17)"};
  }
  entry.l4proto = static_cast<uint8_t>(flow.l4proto());
  if (!flow.has_original()) return Error{"original tuple missing"};
  auto original = decodeTuple(flow.original(), "original");
  if (!original) return Error{original.error()};
  entry.original = *original;
  if (update.op == FlowOp::kRemove) return update;  // only the key matters

  if (!flow.has_reply()) return Error{"reply tuple missing on an upsert"};
  auto reply = decodeTuple(flow.reply(), "reply");
  if (!reply) return Error{reply.error()};
  if (reply->src.family() != entry.original.src.family()) {
    return Error{"original and reply tuples are of different address families"};
  }
  entry.reply = *reply;
  if ((flow.status() & ~kSyncedStatusBits) != 0) {
    return Error{"status bits " + std::to_string(flow.status()) +
                 " outside IPS_SEEN_REPLY|IPS_ASSURED"};
  }
  entry.status = flow.status();
  if (entry.l4proto == kProtoTcp && flow.tcp_state() > kTcpStateMax) {
    return Error{"tcp_state " + std::to_string(flow.tcp_state()) + " > " +
                 std::to_string(kTcpStateMax)};
  }
  if (entry.l4proto == kProtoUdp && flow.tcp_state() != 0) {
    return Error{"tcp_state " + std::to_string(flow.tcp_state()) + " on a UDP flow"};
  }
  entry.tcpState = static_cast<uint8_t>(flow.tcp_state());
  if (flow.timeout() > kMaxFlowTimeoutSeconds) {
    return Error{"timeout " + std::to_string(flow.timeout()) + " s exceeds 7 days"};
  }
  entry.timeoutSeconds = flow.timeout();
  return update;
}

bool printableName(const std::string& name) {
  for (char c : name) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

Result<PeerMessage> decodeHello(const proto::Hello& hello) {
  if (hello.version() != kProtocolVersion) {
    return Error{"hello: protocol version " + std::to_string(hello.version()) + ", expected " +
                 std::to_string(kProtocolVersion)};
  }
  if (hello.node().empty() || hello.node().size() > kMaxNodeNameLength) {
    return Error{"hello: node name of " + std::to_string(hello.node().size()) +
                 " bytes, expected 1.." + std::to_string(kMaxNodeNameLength)};
  }
  if (!printableName(hello.node())) {
    return Error{"hello: node name has a space, control or non-ASCII byte"};
  }
  return PeerMessage{Hello{hello.node(), hello.version(), hello.session_id()}};
}

Result<PeerMessage> decodeBatch(const proto::Batch& batch) {
  if (static_cast<size_t>(batch.flows_size()) > kMaxFlowsPerBatch) {
    return Error{"batch of " + std::to_string(batch.flows_size()) + " flows exceeds " +
                 std::to_string(kMaxFlowsPerBatch)};
  }
  FlowBatch out{batch.seq(), batch.bulk(), {}};
  out.updates.reserve(static_cast<size_t>(batch.flows_size()));
  for (int i = 0; i < batch.flows_size(); ++i) {
    auto update = decodeFlow(batch.flows(i));
    if (!update) return Error{"flow " + std::to_string(i) + ": " + update.error()};
    out.updates.push_back(std::move(*update));
  }
  return PeerMessage{std::move(out)};
}

}  // namespace

proto::SyncMessage encode(const PeerMessage& message) {
  proto::SyncMessage out;
  std::visit(
      [&out](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Hello>) {
          auto* hello = out.mutable_hello();
          hello->set_node(m.node);
          hello->set_version(m.version);
          hello->set_session_id(m.sessionId);
        } else if constexpr (std::is_same_v<T, BulkBegin>) {
          out.mutable_bulk_begin()->set_seq(m.seq);
        } else if constexpr (std::is_same_v<T, FlowBatch>) {
          auto* batch = out.mutable_batch();
          batch->set_seq(m.seq);
          batch->set_bulk(m.bulk);
          batch->mutable_flows()->Reserve(static_cast<int>(m.updates.size()));
          for (const FlowUpdate& update : m.updates) encodeFlow(update, *batch->add_flows());
        } else if constexpr (std::is_same_v<T, BulkEnd>) {
          out.mutable_bulk_end()->set_seq(m.seq);
          out.mutable_bulk_end()->set_entries(m.entries);
        } else {
          static_assert(std::is_same_v<T, Ack>);
          out.mutable_ack()->set_seq(m.seq);
          out.mutable_ack()->set_rejected(m.rejected);
        }
      },
      message);
  return out;
}

Result<PeerMessage> decode(const proto::SyncMessage& message) {
  switch (message.body_case()) {
    case proto::SyncMessage::kHello:
      return decodeHello(message.hello());
    case proto::SyncMessage::kBulkBegin:
      return PeerMessage{BulkBegin{message.bulk_begin().seq()}};
    case proto::SyncMessage::kBatch:
      return decodeBatch(message.batch());
    case proto::SyncMessage::kBulkEnd:
      return PeerMessage{BulkEnd{message.bulk_end().seq(), message.bulk_end().entries()}};
    case proto::SyncMessage::kAck:
      return PeerMessage{Ack{message.ack().seq(), message.ack().rejected()}};
    case proto::SyncMessage::BODY_NOT_SET:
      break;
  }
  return Error{"message has no body (or one this version does not know)"};
}

}  // namespace ha::sync
