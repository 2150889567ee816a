// A hostile sync peer for tests/netns/test_sync_attack.sh: it holds a valid certificate (a peer's
// own, from the right CA) and speaks ConnectionSync as that peer, but sends what a rogue would.
// Run inside a lab namespace; it dials only the address it is given.
//
//   sync_rogue_peer TLS... upsert FILE TIMEOUT     dir1's own flows (ct_sync_tool dump --raw lines)
//                                                  with a remaining timeout of TIMEOUT seconds
//   sync_rogue_peer TLS... remove FILE             removes of those flows
//   sync_rogue_peer TLS... plant N VIP PORT REAL LADDR    N flows of invented clients
//                                                  (203.0.113.77:20000+i), 7-day timeouts
//   sync_rogue_peer TLS... big BYTES               one message of BYTES bytes after the Hello
//   sync_rogue_peer TLS... silent COUNT            COUNT streams at once that never send a Hello
//   TLS = --target ADDR:PORT --server NAME --ca F --cert F --key F --node NAME
//
// Prints key=value lines: what the peer acknowledged (acked, rejected by its count), how each
// stream ended (status code name, milliseconds after it opened).
#include <grpcpp/grpcpp.h>
#include <grpcpp/support/sync_stream.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "sync.grpc.pb.h"
#include "sync/sync_codec.h"

namespace {

using ha::IpAddress;
using ha::sync::FlowEntry;
using ha::sync::FlowOp;
using ha::sync::FlowUpdate;
using Clock = std::chrono::steady_clock;

constexpr size_t kBatch = 1000;

const char* codeName(grpc::StatusCode code) {
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
  const auto i = static_cast<size_t>(code);
  return i < std::size(kNames) ? kNames[i] : "?";
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::cerr << "cannot read " << path << "\n";
    std::exit(2);
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Options {
  std::string target, server, ca, cert, key, node;
};

class Stream {
 public:
  explicit Stream(const Options& o) {
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = slurp(o.ca);
    tls.pem_private_key = slurp(o.key);
    tls.pem_cert_chain = slurp(o.cert);
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride(o.server);
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // one connection per stream
    args.SetMaxSendMessageSize(-1);
    channel_ = grpc::CreateCustomChannel("ipv4:" + o.target, grpc::SslCredentials(tls), args);
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    opened_ = Clock::now();
    stream_.reset(
        grpc::internal::ClientReaderWriterFactory<grpc::ByteBuffer, grpc::ByteBuffer>::Create(
            channel_.get(),
            grpc::internal::RpcMethod("/ha.sync.proto.ConnectionSync/Stream",
                                      grpc::internal::RpcMethod::BIDI_STREAMING),
            &context_));
  }

  bool writeBytes(const std::string& bytes) {
    grpc::Slice slice(bytes);
    grpc::ByteBuffer buffer(&slice, 1);
    return stream_->Write(buffer);
  }
  bool write(const ha::sync::PeerMessage& m) {
    return writeBytes(ha::sync::encode(m).SerializeAsString());
  }
  bool read(ha::sync::proto::SyncMessage& m) {
    grpc::ByteBuffer buffer;
    if (!stream_->Read(&buffer)) return false;
    return grpc::SerializationTraits<ha::sync::proto::SyncMessage>::Deserialize(&buffer, &m).ok();
  }
  // Hello, then the peer's Ack{0} that accepts it.
  bool hello(const std::string& node) {
    ha::sync::proto::SyncMessage ack;
    return write(ha::sync::Hello{node, ha::sync::kProtocolVersion, 4242}) && read(ack) &&
           ack.has_ack();
  }
  // Reads until the stream ends; prints how it ended.
  void finish(const std::string& label) {
    ha::sync::proto::SyncMessage m;
    while (read(m)) {
    }
    const grpc::Status status = stream_->Finish();
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - opened_).count();
    std::printf("%sstatus=%s %sended_ms=%lld %smessage=%s\n", label.c_str(),
                codeName(status.error_code()), label.c_str(), static_cast<long long>(ms),
                label.c_str(), status.error_message().c_str());
  }
  void cancel() { context_.TryCancel(); }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  grpc::ClientContext context_;
  Clock::time_point opened_;
  std::unique_ptr<grpc::ClientReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>> stream_;
};

std::vector<FlowEntry> readRaw(const std::string& path) {
  std::vector<FlowEntry> out;
  std::istringstream in(slurp(path));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    unsigned proto = 0, sp = 0, dp = 0, rsp = 0, rdp = 0, state = 0;
    std::string os, od, rs, rd;
    FlowEntry e;
    f >> proto >> os >> sp >> od >> dp >> rs >> rsp >> rd >> rdp >> e.status >> state >>
        e.timeoutSeconds;
    auto a = IpAddress::parse(os), b = IpAddress::parse(od), c = IpAddress::parse(rs),
         d = IpAddress::parse(rd);
    if (!f || !a || !b || !c || !d) continue;
    e.l4proto = static_cast<uint8_t>(proto);
    e.original = {*a, *b, static_cast<uint16_t>(sp), static_cast<uint16_t>(dp)};
    e.reply = {*c, *d, static_cast<uint16_t>(rsp), static_cast<uint16_t>(rdp)};
    e.tcpState = static_cast<uint8_t>(state);
    out.push_back(e);
  }
  return out;
}

// Sends `updates` in batches, each answered before the next; prints the totals.
int sendFlows(const Options& o, const std::vector<FlowUpdate>& updates) {
  Stream s(o);
  if (!s.hello(o.node)) {
    std::printf("hello=refused\n");
    s.finish("");
    return 1;
  }
  uint64_t seq = 1, acked = 0, rejected = 0;
  for (size_t i = 0; i < updates.size(); i += kBatch) {
    ha::sync::FlowBatch batch{seq, false, {}};
    for (size_t j = i; j < std::min(updates.size(), i + kBatch); ++j) {
      batch.updates.push_back(updates[j]);
    }
    ha::sync::proto::SyncMessage ack;
    if (!s.write(batch) || !s.read(ack) || !ack.has_ack() || ack.ack().seq() != seq) {
      std::printf("sent=%zu acked=%llu rejected=%llu broken=1\n", i,
                  static_cast<unsigned long long>(acked),
                  static_cast<unsigned long long>(rejected));
      s.finish("");
      return 1;
    }
    acked += batch.updates.size();
    rejected += ack.ack().rejected();
    ++seq;
  }
  std::printf("sent=%zu acked=%llu rejected=%llu\n", updates.size(),
              static_cast<unsigned long long>(acked), static_cast<unsigned long long>(rejected));
  s.cancel();
  return 0;
}

int silent(const Options& o, int count) {
  std::vector<std::unique_ptr<Stream>> streams;
  for (int i = 0; i < count; ++i) streams.push_back(std::make_unique<Stream>(o));
  std::vector<std::thread> readers;
  for (int i = 0; i < count; ++i) {
    readers.emplace_back(
        [&, i] { streams[static_cast<size_t>(i)]->finish("s" + std::to_string(i) + "_"); });
  }
  for (auto& t : readers) t.join();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::vector<std::string> rest;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    std::string* field = a == "--target"   ? &o.target
                         : a == "--server" ? &o.server
                         : a == "--ca"     ? &o.ca
                         : a == "--cert"   ? &o.cert
                         : a == "--key"    ? &o.key
                         : a == "--node"   ? &o.node
                                           : nullptr;
    if (field != nullptr && i + 1 < argc) {
      *field = argv[++i];
    } else {
      rest.push_back(a);
    }
  }
  const std::string cmd = rest.empty() ? "" : rest[0];
  if (cmd == "upsert" && rest.size() == 3) {
    std::vector<FlowUpdate> updates;
    for (FlowEntry e : readRaw(rest[1])) {
      e.timeoutSeconds = static_cast<uint32_t>(std::strtoul(rest[2].c_str(), nullptr, 10));
      updates.push_back({FlowOp::kUpsert, e});
    }
    return sendFlows(o, updates);
  }
  if (cmd == "remove" && rest.size() == 2) {
    std::vector<FlowUpdate> updates;
    for (const FlowEntry& e : readRaw(rest[1])) updates.push_back({FlowOp::kRemove, e});
    return sendFlows(o, updates);
  }
  if (cmd == "plant" && rest.size() == 6) {
    const size_t n = std::strtoul(rest[1].c_str(), nullptr, 10);
    const auto vip = IpAddress::parse(rest[2]), real = IpAddress::parse(rest[4]),
               laddr = IpAddress::parse(rest[5]), client = IpAddress::parse("203.0.113.77");
    const auto port = static_cast<uint16_t>(std::strtoul(rest[3].c_str(), nullptr, 10));
    if (!vip || !real || !laddr || n > 20000) return 2;
    std::vector<FlowUpdate> updates;
    for (size_t i = 0; i < n; ++i) {
      FlowEntry e;
      e.l4proto = ha::sync::kProtoTcp;
      e.original = {*client, *vip, static_cast<uint16_t>(20000 + i), port};
      // Local ports below the client's range (10000-65000) never meet a real flow's binding.
      e.reply = {*real, *laddr, port, static_cast<uint16_t>(1024 + i)};
      e.status = ha::sync::kSyncedStatusBits;
      e.tcpState = 3;  // ESTABLISHED
      e.timeoutSeconds = ha::sync::kMaxFlowTimeoutSeconds;
      updates.push_back({FlowOp::kUpsert, e});
    }
    return sendFlows(o, updates);
  }
  if (cmd == "big" && rest.size() == 2) {
    Stream s(o);
    if (!s.hello(o.node)) {
      std::printf("hello=refused\n");
      return 1;
    }
    const size_t bytes = std::strtoul(rest[1].c_str(), nullptr, 10);
    // A Batch of empty flows (2 bytes each), the costliest shape to parse per byte, written by
    // hand: SyncMessage.batch (field 3) { seq (field 1) = 1, flows (field 3) = {} ... }.
    std::string body = "\x08\x01";
    while (body.size() + 2 + 6 <= bytes) body += std::string("\x1a\x00", 2);
    std::string wire = "\x1a";
    for (size_t n = body.size();; n >>= 7) {  // varint length
      wire += static_cast<char>((n & 0x7f) | (n >= 0x80 ? 0x80 : 0));
      if (n < 0x80) break;
    }
    wire += body;
    ha::sync::proto::SyncMessage check;  // what the receiver would have had to parse
    const bool parses = check.ParseFromString(wire);
    std::printf("big_bytes=%zu flows=%d parses=%d write_ok=%d\n", wire.size(),
                check.batch().flows_size(), parses ? 1 : 0, s.writeBytes(wire) ? 1 : 0);
    s.finish("");
    return 0;
  }
  if (cmd == "silent" && rest.size() == 2) return silent(o, std::atoi(rest[1].c_str()));
  std::cerr << "usage: sync_rogue_peer --target ADDR:PORT --server NAME --ca F --cert F --key F "
               "--node NAME upsert FILE TIMEOUT | remove FILE | plant N VIP PORT REAL LADDR | "
               "big BYTES | silent COUNT\n";
  return 2;
}
