#include "director/server/admin_server.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/server_posix.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <thread>

#include "admin.grpc.pb.h"
#include "common/log.h"
#include "director/node/rate_estimator.h"
#include "director/server/admin_codec.h"
#include "director/server/caller_check.h"

namespace ha::director {

namespace pb = directord::admin;

// A view that did not answer in time (its thread busy or stuck): UNAVAILABLE, with the reason
// (which thread, how long, how many such timeouts so far), already logged by postAndWait.
template <typename T, typename Encode>
grpc::Status answer(const Result<T>& view, Encode encode) {
  if (!view) return {grpc::StatusCode::UNAVAILABLE, view.error()};
  encode(view.value());
  return grpc::Status::OK;
}

grpc::StatusCode statusOf(EditRefusal::Kind kind) {
  switch (kind) {
    case EditRefusal::Kind::kInvalid:
      return grpc::StatusCode::INVALID_ARGUMENT;
    case EditRefusal::Kind::kNotFound:
      return grpc::StatusCode::NOT_FOUND;
    case EditRefusal::Kind::kExists:
      return grpc::StatusCode::ALREADY_EXISTS;
    case EditRefusal::Kind::kKernel:
      return grpc::StatusCode::FAILED_PRECONDITION;
  }
  return grpc::StatusCode::INTERNAL;
}

class AdminService final : public pb::Admin::Service {
 public:
  explicit AdminService(DirectorView& view) : view_(view) {}

  void setSocketPath(std::string path) { socketPath_ = std::move(path); }

  grpc::Status ApplyEdits(grpc::ServerContext* context, const pb::EditBatch* request,
                          pb::EditReply* reply) override {
    if (auto allowed = mayMutate(*context, "ApplyEdits"); !allowed.ok()) return allowed;
    auto edits = toRuntimeEdits(*request);
    if (!edits) return {grpc::StatusCode::INVALID_ARGUMENT, edits.error()};
    auto answer = view_.applyEdits(edits.value());
    if (!answer) return {grpc::StatusCode::UNAVAILABLE, answer.error()};
    if (answer->refusal) return {statusOf(answer->refusal->kind), answer->refusal->message};
    for (const auto& line : answer->applied) reply->add_applied(line);
    return grpc::Status::OK;
  }

  // Mutating calls: the caller as the kernel knows it (SO_PEERCRED on the connection we
  // accepted) must be root or in admin_group; anything else is PERMISSION_DENIED, and logged.
  grpc::Status mayMutate(grpc::ServerContext& context, const std::string& call) {
    auto peer = peerCredentials(context.peer(), socketPath_);
    if (!peer) return {grpc::StatusCode::PERMISSION_DENIED, peer.error()};
    std::string group;
    if (peer->uid != 0) {
      auto configured = view_.adminGroup();
      if (!configured) return {grpc::StatusCode::UNAVAILABLE, configured.error()};
      group = configured.value();
    }
    if (auto why = whyMayNotEdit(peer.value(), group, groupId(group))) {
      log::warning("admin call " + call + " refused: " + *why);
      return {grpc::StatusCode::PERMISSION_DENIED, "permission denied: " + *why};
    }
    // The descriptor was read while the call is live: a connection gone meanwhile (its number
    // possibly reused) has cancelled its calls.
    if (context.IsCancelled()) return {grpc::StatusCode::CANCELLED, "the caller went away"};
    return grpc::Status::OK;
  }

  grpc::Status ListServices(grpc::ServerContext* /*context*/, const pb::ListRequest* request,
                            pb::ServiceList* reply) override {
    auto fill = [&](const DirectorSnapshot& s) { *reply = toServiceList(s); };
    if (!request->rates()) return answer(view_.snapshot(), fill);
    auto snapshot = view_.snapshotWithRates();
    // An idle estimator was just started: it has its starting point only, and rates from its
    // next sample. Waited out here, on this gRPC thread; the director thread never waits.
    if (snapshot && snapshot.value().ratesWarmingUp) {
      std::this_thread::sleep_for(kRateSampleEvery + kRateSampleGrace);
      snapshot = view_.snapshotWithRates();
    }
    return answer(snapshot, fill);
  }

  grpc::Status Lookup(grpc::ServerContext* /*context*/, const pb::LookupRequest* request,
                      pb::LookupReply* reply) override {
    auto query = toFlowQuery(*request);
    if (!query) return {grpc::StatusCode::INVALID_ARGUMENT, query.error()};
    return answer(view_.lookup(*query), [&](const FlowAnswer& a) { *reply = toLookupReply(a); });
  }

  grpc::Status VrrpStatus(grpc::ServerContext* /*context*/, const pb::VrrpRequest* /*request*/,
                          pb::VrrpList* reply) override {
    return answer(view_.vrrpSnapshot(),
                  [&](const vrrp::RouterSnapshot& s) { *reply = toVrrpList(s); });
  }

  grpc::Status SyncStatus(grpc::ServerContext* /*context*/, const pb::SyncRequest* /*request*/,
                          pb::SyncReply* reply) override {
    return answer(view_.syncSnapshot(),
                  [&](const sync::SyncSnapshot& s) { *reply = toSyncReply(s); });
  }

  grpc::Status ForwarderStatus(grpc::ServerContext* /*context*/,
                               const pb::ForwarderRequest* /*request*/,
                               pb::ForwarderReply* reply) override {
    return answer(view_.forwarderStatus(),
                  [&](const ha::director::ForwarderStatus& s) { *reply = toForwarderReply(s); });
  }

  grpc::Status ConntrackStatus(grpc::ServerContext* /*context*/,
                               const pb::ConntrackRequest* /*request*/,
                               pb::ConntrackReply* reply) override {
    return answer(view_.conntrackStatus(),
                  [&](const ha::director::ConntrackStatus& s) { *reply = toConntrackReply(s); });
  }

  grpc::Status Connections(grpc::ServerContext* /*context*/, const pb::ConnectionsRequest* request,
                           pb::ConnectionList* reply) override {
    std::optional<ServiceKey> service;
    if (request->has_service()) {
      auto key = toServiceKey(request->service());
      if (!key) return {grpc::StatusCode::INVALID_ARGUMENT, key.error()};
      service = key.value();
    }
    auto table = view_.connections(service);
    if (table && !table->serviceKnown) {
      return {grpc::StatusCode::NOT_FOUND, "no virtual service " + service->str()};
    }
    return answer(table, [&](const ConnectionTable& t) { *reply = toConnectionList(t); });
  }

  // ipvsadm -Z. The counters Prometheus reads (sinceStart) are never zeroed.
  grpc::Status ZeroCounters(grpc::ServerContext* context, const pb::ZeroRequest* request,
                            pb::ZeroReply* reply) override {
    if (auto allowed = mayMutate(*context, "ZeroCounters"); !allowed.ok()) return allowed;
    std::optional<ServiceKey> service;
    if (request->has_service()) {
      auto key = toServiceKey(request->service());
      if (!key) return {grpc::StatusCode::INVALID_ARGUMENT, key.error()};
      service = key.value();
    }
    auto zeroed = view_.zeroCounters(service);
    if (!zeroed) return {grpc::StatusCode::UNAVAILABLE, zeroed.error()};
    if (service && zeroed.value() == 0) {
      return {grpc::StatusCode::NOT_FOUND, "no such virtual service: " + serviceText(*service)};
    }
    reply->set_services(zeroed.value());
    return grpc::Status::OK;
  }

 private:
  DirectorView& view_;
  std::string socketPath_;
};

namespace {

constexpr auto kProbeTimeout = std::chrono::seconds(2);
constexpr auto kShutdownGrace = std::chrono::seconds(2);
constexpr int kMaxRequestBytes = 64 << 20;  // a -R batch of tens of thousands of edits

std::string errnoText() { return std::strerror(errno); }

// Whether whatever listens on `path` speaks our admin protocol: lets the refusal say who is there.
bool answersAsDirectord(const std::string& path) {
  auto channel = grpc::CreateChannel("unix:" + path, grpc::InsecureChannelCredentials());
  auto stub = pb::Admin::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + kProbeTimeout);
  pb::ListRequest request;
  pb::ServiceList reply;
  return stub->ListServices(&context, request, &reply).ok();
}

// gRPC unlinks whatever sits at a unix path before binding, which would silently take the socket
// from a running directord. So look first: only a socket nobody accepts on may go.
Status clearStaleSocket(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return okStatus();
    return Error{"admin socket " + path + ": " + errnoText()};
  }
  if (!S_ISSOCK(st.st_mode)) {
    return Error{"admin socket " + path + " exists and is not a socket; not removing it"};
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error{"admin socket " + path + ": socket: " + errnoText()};
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int rc = connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  int connectErrno = errno;
  close(fd);
  if (rc == 0) {
    if (answersAsDirectord(path)) {
      return Error{"admin socket " + path + " is in use: another directord answers there"};
    }
    return Error{"admin socket " + path + " is in use by another program"};
  }
  if (connectErrno != ECONNREFUSED) {
    return Error{"admin socket " + path + ": cannot probe it: " + std::strerror(connectErrno)};
  }
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Error{"admin socket " + path + ": cannot remove stale socket: " + errnoText()};
  }
  return okStatus();
}

}  // namespace

AdminServer::AdminServer(DirectorView& view) : service_(std::make_unique<AdminService>(view)) {}

AdminServer::~AdminServer() { stop(); }

Status AdminServer::start(const std::string& socketPath) {
  if (server_) return Error{"admin server already listening on " + path_};
  if (socketPath.empty()) return Error{"admin socket path is empty"};
  if (socketPath.size() >= sizeof(sockaddr_un::sun_path)) {
    return Error{"admin socket path " + socketPath + " is longer than " +
                 std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes"};
  }
  if (auto cleared = clearStaleSocket(socketPath); !cleared) return cleared;

  // We accept connections ourselves and hand each to gRPC, so a call can learn its caller from
  // the kernel (SO_PEERCRED): gRPC's own unix listener tells a handler nothing about the peer.
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error{"admin socket " + socketPath + ": socket: " + errnoText()};
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socketPath.c_str(), socketPath.size() + 1);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(fd, SOMAXCONN) != 0) {
    std::string why = errnoText();
    close(fd);
    return Error{"admin socket " + socketPath + ": " + why};
  }
  listenFd_ = fd;
  path_ = socketPath;
  struct stat st {};
  if (stat(socketPath.c_str(), &st) == 0) {
    socketDev_ = st.st_dev;
    socketIno_ = st.st_ino;
  }
  // Anyone who reaches the socket may read (as anyone may run `ipvsadm -L` output through
  // sudo-less tools); mutating calls check the caller themselves. The directory still decides
  // who reaches it.
  constexpr mode_t kReadable = S_IRUSR | S_IWUSR | S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH;
  if (socketIno_ == 0 || chmod(socketPath.c_str(), kReadable) != 0) {
    std::string why = errnoText();
    stop();
    return Error{"admin socket " + socketPath + ": cannot set mode 0666: " + why};
  }
  service_->setSocketPath(socketPath);
  grpc::ServerBuilder builder;
  builder.SetMaxReceiveMessageSize(kMaxRequestBytes);
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  if (!server_) {
    stop();
    return Error{"admin socket " + socketPath + ": gRPC could not start (see its log)"};
  }
  wakeFd_ = eventfd(0, EFD_CLOEXEC);
  if (wakeFd_ < 0) {
    std::string why = errnoText();
    stop();
    return Error{"admin socket " + socketPath + ": eventfd: " + why};
  }
  acceptor_ = std::thread([this] { acceptLoop(); });
  return okStatus();
}

void AdminServer::acceptLoop() {
  std::array<pollfd, 2> fds{pollfd{listenFd_, POLLIN, 0}, pollfd{wakeFd_, POLLIN, 0}};
  for (;;) {
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      log::error("admin socket " + path_ + ": poll: " + errnoText() + "; no longer accepting");
      return;
    }
    if (fds[1].revents != 0) return;  // stop()
    int conn = accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (conn < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED) continue;
      // Out of descriptors or memory: the client waits in the backlog; try again shortly.
      log::warning("admin socket " + path_ + ": accept: " + errnoText());
      poll(&fds[1], 1, 100);
      continue;
    }
    grpc::AddInsecureChannelFromFd(server_.get(), conn);  // gRPC owns and closes it
  }
}

void AdminServer::stop() {
  if (acceptor_.joinable()) {
    uint64_t one = 1;
    if (write(wakeFd_, &one, sizeof one) != sizeof one)
      log::error("admin socket: cannot wake the acceptor");
    acceptor_.join();
  }
  if (wakeFd_ >= 0) close(wakeFd_);
  wakeFd_ = -1;
  if (listenFd_ >= 0) close(listenFd_);
  listenFd_ = -1;
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now() + kShutdownGrace);
    server_->Wait();
    server_.reset();
  }
  if (path_.empty()) return;
  // A successor may already have bound the path; only our own inode is ours to remove.
  struct stat st {};
  if (lstat(path_.c_str(), &st) == 0 && st.st_dev == socketDev_ && st.st_ino == socketIno_) {
    unlink(path_.c_str());
  }
  path_.clear();
  socketDev_ = socketIno_ = 0;
}

}  // namespace ha::director
