#include "director/server/admin_server.h"

#include <grpcpp/grpcpp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>

#include "admin.grpc.pb.h"
#include "director/server/admin_codec.h"

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

class AdminService final : public pb::Admin::Service {
 public:
  explicit AdminService(DirectorView& view) : view_(view) {}

  grpc::Status ListServices(grpc::ServerContext* /*context*/, const pb::ListRequest* /*request*/,
                            pb::ServiceList* reply) override {
    return answer(view_.snapshot(), [&](const DirectorSnapshot& s) { *reply = toServiceList(s); });
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
  grpc::Status ZeroCounters(grpc::ServerContext* /*context*/, const pb::ZeroRequest* request,
                            pb::ZeroReply* reply) override {
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
};

namespace {

constexpr auto kProbeTimeout = std::chrono::seconds(2);
constexpr auto kShutdownGrace = std::chrono::seconds(2);

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

AdminServer::AdminServer(DirectorView& view)
    : view_(view), service_(std::make_unique<AdminService>(view)) {}

AdminServer::~AdminServer() { stop(); }

Status AdminServer::start(const std::string& socketPath) {
  if (server_) return Error{"admin server already listening on " + path_};
  if (socketPath.empty()) return Error{"admin socket path is empty"};
  if (socketPath.size() >= sizeof(sockaddr_un::sun_path)) {
    return Error{"admin socket path " + socketPath + " is longer than " +
                 std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes"};
  }
  if (auto cleared = clearStaleSocket(socketPath); !cleared) return cleared;

  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + socketPath, grpc::InsecureServerCredentials());
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  if (!server_) {
    return Error{"admin socket " + socketPath + ": gRPC could not listen there (see its log)"};
  }
  path_ = socketPath;
  // Between bind and this chmod the socket has the umask's mode; the directory (/run) is what
  // keeps others out in that window. The API is read-only, so the window exposes no control.
  struct stat st {};
  if (stat(socketPath.c_str(), &st) == 0) {
    socketDev_ = st.st_dev;
    socketIno_ = st.st_ino;
  }
  if (socketIno_ == 0 || chmod(socketPath.c_str(), S_IRUSR | S_IWUSR) != 0) {
    std::string why = errnoText();
    stop();
    return Error{"admin socket " + socketPath + ": cannot restrict to mode 0600: " + why};
  }
  return okStatus();
}

void AdminServer::stop() {
  if (!server_) return;
  server_->Shutdown(std::chrono::system_clock::now() + kShutdownGrace);
  server_->Wait();
  server_.reset();
  // A successor may already have bound the path; only our own inode is ours to remove.
  struct stat st {};
  if (lstat(path_.c_str(), &st) == 0 && st.st_dev == socketDev_ && st.st_ino == socketIno_) {
    unlink(path_.c_str());
  }
  path_.clear();
  socketDev_ = socketIno_ = 0;
}

}  // namespace ha::director
