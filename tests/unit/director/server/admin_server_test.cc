#include "director/server/admin_server.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "admin.grpc.pb.h"
#include "common/post_and_wait.h"
#include "director/ctl/forwarder_format.h"
#include "director/node/rate_estimator.h"
#include "director/server/admin_codec.h"

namespace ha::director {
namespace {

namespace pb = directord::admin;

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

// Canned answers; records the last query. gRPC calls it from its own threads.
struct FakeDirectorView : DirectorView {
  Result<DirectorSnapshot> snapshot() override {
    DirectorSnapshot s;
    s.hashSeed = 0x5eed1b5a;
    ServiceSnapshot svc;
    svc.plan.id = 1;
    svc.plan.key = ServiceKey{Protocol::kTcp, ip("192.0.2.102"), 80};
    svc.plan.scheduler = "mh";
    svc.plan.mode = ForwardMode::kDr;
    RealSnapshot r;
    r.real.endpoint = Endpoint{ip("198.51.100.12"), 80};
    r.real.inRotation = true;
    svc.reals.push_back(r);
    s.services.push_back(svc);
    return s;
  }
  // As the node's: the first ask finds the estimator idle (warming up, no rates yet).
  Result<DirectorSnapshot> snapshotWithRates() override {
    auto s = snapshot();
    std::lock_guard lock(mu);
    ++rateAsks;
    s.value().ratesWarmingUp = rateAsks == 1;
    if (rateAsks > 1) s.value().services[0].rates.connsPerSecond = 12.5;
    return s;
  }
  Result<FlowAnswer> lookup(const FlowQuery& query) override {
    std::lock_guard lock(mu);
    lastQuery = query;
    FlowAnswer a;
    if (query.vip != ip("192.0.2.102") || query.vipPort != 80) return a;
    a.service = ServiceKey{Protocol::kTcp, query.vip, query.vipPort};
    a.deterministic = true;
    a.real = Endpoint{ip("198.51.100.12"), 80};
    a.slot = 1234;
    return a;
  }
  Result<vrrp::RouterSnapshot> vrrpSnapshot() override {
    vrrp::RouterSnapshot snap;
    vrrp::InstanceStatus s;
    s.name = "VI_1";
    s.interface = "lan0";
    s.vrid = 51;
    s.state = vrrp::State::kMaster;
    s.basePriority = 150;
    s.effectivePriority = 140;
    s.source = ip("198.51.100.2");
    s.master = s.source;
    s.counters.advertsSent = 7;
    s.counters.dropped[static_cast<size_t>(vrrp::DropReason::kBadTtl)] = 2;
    snap.instances.push_back(s);
    snap.counters.received = 9;
    return snap;
  }
  Result<ConntrackStatus> conntrackStatus() override {
    ConntrackStatus c;
    ConntrackStats k;
    k.entries = 262144;
    k.max = 262144;
    k.drop = 694;
    c.kernel = k;
    c.sinceStart = k;
    c.pressure = "conntrack table full: 262144 of 262144 entries";
    c.inconclusiveResults = 12;
    return c;
  }
  // One flow of TCP 192.0.2.102:80; any other service is unknown.
  Result<ConnectionTable> connections(const std::optional<ServiceKey>& service) override {
    const ServiceKey known{Protocol::kTcp, ip("192.0.2.102"), 80};
    ConnectionTable t;
    if (service && *service != known) {
      t.serviceKnown = false;
      return t;
    }
    ConnectionRow row;
    row.expiresSeconds = 431999;
    row.state = "ESTABLISHED";
    row.source = Endpoint{ip("203.0.113.10"), 40000};
    row.virtualService = Endpoint{known.vip, known.port};
    row.destination = Endpoint{ip("198.51.100.12"), 80};
    t.rows.push_back(row);
    t.total = 1;
    return t;
  }
  Result<sync::SyncSnapshot> syncSnapshot() override {
    sync::SyncSnapshot snap;
    snap.enabled = true;
    snap.node = "dir1";
    sync::PeerSnapshot p;
    p.name = "dir2";
    p.lagP99Ms = 2.5;
    p.rejectedBy[static_cast<size_t>(sync::Rejection::kUnknownService)] = 3;
    snap.peers.push_back(p);
    return snap;
  }
  Result<ForwarderStatus> forwarderStatus() override {
    ForwarderStatus s;
    s.tables = {"inet directord"};
    s.ownerWanted = "none";
    s.ownerInKernel = "none";
    s.watching = true;
    s.drifts = 2;
    s.repairs = 2;
    s.lastDrift = "delete table inet directord by nft[42]";
    s.lastRepairMs = 3.5;
    return s;
  }
  Result<uint32_t> zeroCounters(const std::optional<ServiceKey>& service) override {
    std::lock_guard lock(mu);
    zeroCalls.push_back(service);
    if (service && *service != ServiceKey{Protocol::kTcp, ip("192.0.2.102"), 80}) return 0u;
    return 1u;
  }
  Result<EditAnswer> applyEdits(const std::vector<RuntimeEdit>& edits) override {
    std::lock_guard lock(mu);
    lastEdits = edits;
    if (!edits.empty() && edits[0].real && edits[0].real->address == ip("198.51.100.99")) {
      return EditAnswer{EditRefusal{EditRefusal::Kind::kNotFound,
                                    "no real 198.51.100.99:80 in TCP 192.0.2.102:80"},
                        {}};
    }
    return EditAnswer{std::nullopt, {"edited"}};
  }
  std::mutex mu;
  std::optional<FlowQuery> lastQuery;
  std::vector<std::optional<ServiceKey>> zeroCalls;
  std::vector<RuntimeEdit> lastEdits;
  int rateAsks = 0;
};

class AdminServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "admin_test.XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/directord.sock";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<pb::Admin::Stub> stub() {
    return pb::Admin::NewStub(
        grpc::CreateChannel("unix:" + path_, grpc::InsecureChannelCredentials()));
  }
  static void withDeadline(grpc::ClientContext& ctx) {
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  }

  FakeDirectorView view_;
  std::string dir_;
  std::string path_;
};

// ListServices returns the view's snapshot through the codec.
TEST_F(AdminServerTest, ListsServices) {
  AdminServer server(view_);
  auto started = server.start(path_);
  ASSERT_TRUE(started) << started.error();
  grpc::ClientContext ctx;
  withDeadline(ctx);
  pb::ServiceList reply;
  auto status = stub()->ListServices(&ctx, pb::ListRequest(), &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reply.hash_seed(), 0x5eed1b5au);
  ASSERT_EQ(reply.services_size(), 1);
  EXPECT_EQ(reply.services(0).vip(), "192.0.2.102");
  EXPECT_EQ(reply.services(0).mode(), "DR");
}

// A list without rates never asks for them (the estimator stays idle); one with rates that finds
// the estimator idle is answered after its next sample, with the rates of that sample.
TEST_F(AdminServerTest, ListWithRatesWaitsForAStartedEstimator) {
  AdminServer server(view_);
  ASSERT_TRUE(server.start(path_));
  pb::ServiceList reply;
  {
    grpc::ClientContext ctx;
    withDeadline(ctx);
    ASSERT_TRUE(stub()->ListServices(&ctx, pb::ListRequest(), &reply).ok());
  }
  {
    std::lock_guard lock(view_.mu);
    EXPECT_EQ(view_.rateAsks, 0);
  }
  pb::ListRequest withRates;
  withRates.set_rates(true);
  grpc::ClientContext ctx;
  withDeadline(ctx);
  const auto started = std::chrono::steady_clock::now();
  auto status = stub()->ListServices(&ctx, withRates, &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_GE(std::chrono::steady_clock::now() - started, kRateSampleEvery);
  {
    std::lock_guard lock(view_.mu);
    EXPECT_EQ(view_.rateAsks, 2);
  }
  ASSERT_EQ(reply.services_size(), 1);
  EXPECT_EQ(reply.services(0).rates().conns_per_second(), 12.5);
}

// ZeroCounters: every service, or the one named; an unknown service is NOT_FOUND naming it and a
// malformed one INVALID_ARGUMENT, neither reaching the view.
TEST_F(AdminServerTest, ZeroCountersNamesTheServiceOrRefuses) {
  AdminServer server(view_);
  ASSERT_TRUE(server.start(path_));
  auto zero = [&](std::optional<pb::ServiceRef> ref, pb::ZeroReply* reply) {
    grpc::ClientContext ctx;
    withDeadline(ctx);
    pb::ZeroRequest request;
    if (ref) *request.mutable_service() = *ref;
    return stub()->ZeroCounters(&ctx, request, reply);
  };
  auto ref = [](const char* protocol, const char* vip, uint32_t port) {
    pb::ServiceRef r;
    r.set_protocol(protocol);
    r.set_vip(vip);
    r.set_port(port);
    return r;
  };
  pb::ZeroReply reply;
  ASSERT_TRUE(zero(std::nullopt, &reply).ok());
  EXPECT_EQ(reply.services(), 1u);
  ASSERT_TRUE(zero(ref("TCP", "192.0.2.102", 80), &reply).ok());
  auto unknown = zero(ref("UDP", "192.0.2.102", 80), &reply);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(unknown.error_message().find("UDP 192.0.2.102:80"), std::string::npos)
      << unknown.error_message();
  for (const auto& bad : {ref("SCTP", "192.0.2.102", 80), ref("TCP", "192.0.2.300", 80),
                          ref("TCP", "192.0.2.102", 0), ref("TCP", "192.0.2.102", 70000)}) {
    EXPECT_EQ(zero(bad, &reply).error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << bad.DebugString();
  }
  std::lock_guard lock(view_.mu);
  ASSERT_EQ(view_.zeroCalls.size(), 3u) << "malformed requests never reach the view";
  EXPECT_FALSE(view_.zeroCalls[0]);
  EXPECT_EQ(view_.zeroCalls[1], (ServiceKey{Protocol::kTcp, ip("192.0.2.102"), 80}));
}

// VrrpStatus carries each instance's state, priorities and counters by reason to the client.
TEST_F(AdminServerTest, ReportsVrrpInstances) {
  AdminServer server(view_);
  auto started = server.start(path_);
  ASSERT_TRUE(started) << started.error();
  grpc::ClientContext ctx;
  withDeadline(ctx);
  pb::VrrpList reply;
  auto status = stub()->VrrpStatus(&ctx, pb::VrrpRequest(), &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reply.received(), 9u);
  ASSERT_EQ(reply.instances_size(), 1);
  const auto& i = reply.instances(0);
  EXPECT_EQ(i.name(), "VI_1");
  EXPECT_EQ(i.state(), "MASTER");
  EXPECT_EQ(i.effective_priority(), 140u);
  EXPECT_EQ(i.master(), "198.51.100.2");
  ASSERT_EQ(i.dropped_size(), 1);
  EXPECT_EQ(i.dropped(0).reason(), "bad_ttl");
  EXPECT_EQ(i.dropped(0).count(), 2u);
}

// SyncStatus carries the view's sync snapshot, rejections by name, to the client.
TEST_F(AdminServerTest, ReportsSync) {
  AdminServer server(view_);
  ASSERT_TRUE(server.start(path_));
  grpc::ClientContext ctx;
  withDeadline(ctx);
  pb::SyncReply reply;
  auto status = stub()->SyncStatus(&ctx, pb::SyncRequest(), &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(reply.enabled());
  EXPECT_EQ(reply.node(), "dir1");
  ASSERT_EQ(reply.peers_size(), 1);
  EXPECT_EQ(reply.peers(0).name(), "dir2");
  EXPECT_TRUE(reply.peers(0).has_lag_p99_ms());
  EXPECT_FALSE(reply.peers(0).has_lag_p50_ms());
  EXPECT_EQ(reply.peers(0).rejected_by().at("unknown-service"), 3u);
}

// ForwarderStatus carries the view's drift counters and ownership to the client.
TEST_F(AdminServerTest, ReportsForwarder) {
  AdminServer server(view_);
  ASSERT_TRUE(server.start(path_));
  grpc::ClientContext ctx;
  withDeadline(ctx);
  pb::ForwarderReply reply;
  auto status = stub()->ForwarderStatus(&ctx, pb::ForwarderRequest(), &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(std::vector<std::string>(reply.tables().begin(), reply.tables().end()),
            std::vector<std::string>{"inet directord"});
  EXPECT_EQ(reply.drifts(), 2u);
  EXPECT_EQ(reply.repairs(), 2u);
  EXPECT_EQ(reply.last_drift(), "delete table inet directord by nft[42]");
  ASSERT_TRUE(reply.has_last_repair_ms());
  EXPECT_EQ(reply.last_repair_ms(), 3.5);
  EXPECT_FALSE(reply.has_last_drift_age_ms());
  EXPECT_FALSE(forwarderDegraded(reply));
}

// ConntrackStatus carries the view's table usage, pressure and counters (by name) to the client.
TEST_F(AdminServerTest, ReportsConntrack) {
  AdminServer server(view_);
  ASSERT_TRUE(server.start(path_));
  grpc::ClientContext ctx;
  withDeadline(ctx);
  pb::ConntrackReply reply;
  auto status = stub()->ConntrackStatus(&ctx, pb::ConntrackRequest(), &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(reply.available());
  EXPECT_EQ(reply.entries(), 262144u);
  EXPECT_EQ(reply.kernel().at("drop"), 694u);
  EXPECT_EQ(reply.since_start().at("early_drop"), 0u);
  EXPECT_EQ(reply.pressure(), "conntrack table full: 262144 of 262144 entries");
  EXPECT_EQ(reply.inconclusive_results(), 12u);
  EXPECT_FALSE(reply.has_last_drop_age_ms());
}

// Lookup hands the decoded query to the view and encodes its answer.
TEST_F(AdminServerTest, LooksUpFlows) {
  AdminServer server(view_);
  ASSERT_TRUE(server.start(path_));
  pb::LookupRequest req;
  req.set_protocol("tcp");
  req.set_source("203.0.113.10");
  req.set_source_port(40000);
  req.set_vip("192.0.2.102");
  req.set_vip_port(80);
  grpc::ClientContext ctx;
  withDeadline(ctx);
  pb::LookupReply reply;
  auto status = stub()->Lookup(&ctx, req, &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(reply.matched());
  EXPECT_EQ(reply.service(), "TCP 192.0.2.102:80");
  EXPECT_EQ(reply.real(), "198.51.100.12:80");
  EXPECT_EQ(reply.slot(), 1234u);
  std::lock_guard lock(view_.mu);
  ASSERT_TRUE(view_.lastQuery);
  EXPECT_EQ(view_.lastQuery->source, ip("203.0.113.10"));
  EXPECT_EQ(view_.lastQuery->sourcePort, 40000);
}

// A malformed lookup is refused with INVALID_ARGUMENT and never reaches the view.
TEST_F(AdminServerTest, RefusesMalformedLookup) {
  AdminServer server(view_);
  ASSERT_TRUE(server.start(path_));
  pb::LookupRequest req;
  req.set_protocol("icmp");
  grpc::ClientContext ctx;
  withDeadline(ctx);
  pb::LookupReply reply;
  auto status = stub()->Lookup(&ctx, req, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "protocol \"icmp\" not supported: use tcp or udp");
  std::lock_guard lock(view_.mu);
  EXPECT_FALSE(view_.lastQuery);
}

// Connections lists the view's flows as ipvsadm -Lc rows; a filter on a known service passes.
TEST_F(AdminServerTest, ListsConnections) {
  AdminServer server(view_);
  ASSERT_TRUE(server.start(path_));
  for (bool filtered : {false, true}) {
    grpc::ClientContext ctx;
    withDeadline(ctx);
    pb::ConnectionsRequest request;
    if (filtered) {
      request.mutable_service()->set_protocol("TCP");
      request.mutable_service()->set_vip("192.0.2.102");
      request.mutable_service()->set_port(80);
    }
    pb::ConnectionList reply;
    auto status = stub()->Connections(&ctx, request, &reply);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(reply.total(), 1u);
    ASSERT_EQ(reply.connections_size(), 1);
    const auto& c = reply.connections(0);
    EXPECT_EQ(c.protocol(), "TCP");
    EXPECT_EQ(c.expires_s(), 431999u);
    EXPECT_EQ(c.state(), "ESTABLISHED");
    EXPECT_EQ(c.source(), "203.0.113.10:40000");
    EXPECT_EQ(c.virtual_service(), "192.0.2.102:80");
    EXPECT_EQ(c.destination(), "198.51.100.12:80");
  }
}

// An unknown service is NOT_FOUND naming it; a malformed one INVALID_ARGUMENT, naming the field.
TEST_F(AdminServerTest, ConnectionsRefuseUnknownAndMalformedServices) {
  AdminServer server(view_);
  ASSERT_TRUE(server.start(path_));
  struct Case {
    std::string protocol, vip;
    uint32_t port;
    grpc::StatusCode code;
    std::string says;
  };
  for (const Case& c :
       {Case{"UDP", "192.0.2.102", 80, grpc::StatusCode::NOT_FOUND,
             "no virtual service UDP 192.0.2.102:80"},
        Case{"SCTP", "192.0.2.102", 80, grpc::StatusCode::INVALID_ARGUMENT, "SCTP"},
        Case{"TCP", "not-an-ip", 80, grpc::StatusCode::INVALID_ARGUMENT, "not-an-ip"},
        Case{"TCP", "192.0.2.102", 70000, grpc::StatusCode::INVALID_ARGUMENT, "70000"}}) {
    grpc::ClientContext ctx;
    withDeadline(ctx);
    pb::ConnectionsRequest request;
    request.mutable_service()->set_protocol(c.protocol);
    request.mutable_service()->set_vip(c.vip);
    request.mutable_service()->set_port(c.port);
    pb::ConnectionList reply;
    auto status = stub()->Connections(&ctx, request, &reply);
    EXPECT_EQ(status.error_code(), c.code) << c.says;
    EXPECT_NE(status.error_message().find(c.says), std::string::npos) << status.error_message();
    EXPECT_EQ(reply.connections_size(), 0);
  }
}

// A view whose thread never runs its io_context: every answer misses its deadline.
struct UnansweredView : DirectorView {
  template <typename T>
  Result<T> ask() {
    return postAndWait(io, "director", Clock::now() + std::chrono::milliseconds(50),
                       [] { return T{}; });
  }
  Result<DirectorSnapshot> snapshot() override { return ask<DirectorSnapshot>(); }
  Result<FlowAnswer> lookup(const FlowQuery& /*query*/) override { return ask<FlowAnswer>(); }
  Result<vrrp::RouterSnapshot> vrrpSnapshot() override { return ask<vrrp::RouterSnapshot>(); }
  Result<sync::SyncSnapshot> syncSnapshot() override { return ask<sync::SyncSnapshot>(); }
  Result<ForwarderStatus> forwarderStatus() override { return ask<ForwarderStatus>(); }
  Result<ConntrackStatus> conntrackStatus() override { return ask<ConntrackStatus>(); }
  Result<ConnectionTable> connections(const std::optional<ServiceKey>& /*service*/) override {
    return ask<ConnectionTable>();
  }
  Result<uint32_t> zeroCounters(const std::optional<ServiceKey>& /*service*/) override {
    return ask<uint32_t>();
  }
  boost::asio::io_context io;  // nobody runs it: a stuck director thread
};

// A director thread that does not answer turns into UNAVAILABLE naming the thread, not a hang.
TEST_F(AdminServerTest, StuckViewAnswersUnavailable) {
  UnansweredView stuck;
  AdminServer server(stuck);
  ASSERT_TRUE(server.start(path_));
  for (int rpc = 0; rpc < 2; ++rpc) {
    grpc::ClientContext ctx;
    withDeadline(ctx);
    grpc::Status status;
    if (rpc == 0) {
      pb::ServiceList reply;
      status = stub()->ListServices(&ctx, pb::ListRequest(), &reply);
    } else {
      pb::VrrpList reply;
      status = stub()->VrrpStatus(&ctx, pb::VrrpRequest(), &reply);
    }
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_NE(status.error_message().find("the director thread did not take the request within"),
              std::string::npos)
        << status.error_message();
  }
  server.stop();  // returns: no handler is left waiting
}

// A second directord on the same socket is refused and the first keeps answering.
TEST_F(AdminServerTest, RefusesSecondServerOnLivePath) {
  AdminServer first(view_);
  ASSERT_TRUE(first.start(path_));
  FakeDirectorView otherView;
  AdminServer second(otherView);
  auto refused = second.start(path_);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(),
            "admin socket " + path_ + " is in use: another directord answers there");
  grpc::ClientContext ctx;
  withDeadline(ctx);
  pb::ServiceList reply;
  EXPECT_TRUE(stub()->ListServices(&ctx, pb::ListRequest(), &reply).ok());
}

// The socket is open to every local user (mode 0666: reads are, mutating calls check the caller
// themselves) and goes away on stop().
TEST_F(AdminServerTest, SocketIsOpenAndRemovedOnStop) {
  AdminServer server(view_);
  ASSERT_TRUE(server.start(path_));
  struct stat st {};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0666u);
  server.stop();
  EXPECT_FALSE(std::filesystem::exists(path_));
}

pb::EditBatch drainBatch(const char* real) {
  pb::EditBatch batch;
  auto* e = batch.add_edits();
  e->set_op(pb::Edit::EDIT_REAL);
  e->mutable_service()->set_protocol("TCP");
  e->mutable_service()->set_vip("192.0.2.102");
  e->mutable_service()->set_port(80);
  e->set_real_address(real);
  e->set_real_port(80);
  e->set_weight(0);
  return batch;
}

// ApplyEdits knows its caller from the kernel (SO_PEERCRED on the connection the server
// accepted): root is served, the node's refusal keeps its kind; anyone else is refused, named.
TEST_F(AdminServerTest, ApplyEditsChecksTheCallerFromTheKernel) {
  AdminServer server(view_);
  ASSERT_TRUE(server.start(path_));
  grpc::ClientContext ctx;
  withDeadline(ctx);
  pb::EditReply reply;
  auto status = stub()->ApplyEdits(&ctx, drainBatch("198.51.100.12"), &reply);
  if (getuid() != 0) {
    ASSERT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_NE(status.error_message().find("uid " + std::to_string(getuid())), std::string::npos)
        << status.error_message();
    std::lock_guard lock(view_.mu);
    EXPECT_TRUE(view_.lastEdits.empty());
    return;
  }
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(reply.applied_size(), 1);
  {
    std::lock_guard lock(view_.mu);
    ASSERT_EQ(view_.lastEdits.size(), 1u);
    EXPECT_EQ(view_.lastEdits[0].weight, 0u);
  }
  grpc::ClientContext again;
  withDeadline(again);
  status = stub()->ApplyEdits(&again, drainBatch("198.51.100.99"), &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), "no real 198.51.100.99:80 in TCP 192.0.2.102:80");
}

// A batch with a malformed field is INVALID_ARGUMENT naming the edit, before the node sees it.
TEST_F(AdminServerTest, ApplyEditsRefusesMalformedFields) {
  pb::EditBatch batch = drainBatch("198.51.100.12");
  *batch.add_edits() = batch.edits(0);
  batch.mutable_edits(1)->set_real_address("not-an-address");
  auto edits = toRuntimeEdits(batch);
  ASSERT_FALSE(edits);
  EXPECT_EQ(edits.error(), "edit 2 of 2: real address 'not-an-address' is not an IP address");
  batch.mutable_edits(1)->set_real_address("198.51.100.13");
  batch.mutable_edits(1)->mutable_service()->set_protocol("SCTP");
  EXPECT_FALSE(toRuntimeEdits(batch));
  batch.mutable_edits(1)->mutable_service()->set_protocol("tcp");
  ASSERT_TRUE(toRuntimeEdits(batch));
}

// A socket file left by a crashed directord (nobody accepting) is replaced.
TEST_F(AdminServerTest, ReplacesStaleSocket) {
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
  close(fd);  // bound, never listened: connect() is refused, like a dead daemon's socket
  AdminServer server(view_);
  auto started = server.start(path_);
  ASSERT_TRUE(started) << started.error();
}

// A regular file at the path is not ours to delete.
TEST_F(AdminServerTest, RefusesNonSocketPath) {
  std::ofstream(path_) << "not a socket\n";
  AdminServer server(view_);
  auto refused = server.start(path_);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(),
            "admin socket " + path_ + " exists and is not a socket; not removing it");
  EXPECT_TRUE(std::filesystem::exists(path_));
}

}  // namespace
}  // namespace ha::director
