#pragma once
// The admin API (proto/admin.proto) served with synchronous gRPC on a unix socket. Handlers run
// on gRPC's threads and only call the DirectorView, which posts to the node's io_context itself.
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "common/result.h"
#include "director/node/director_view.h"

namespace grpc {
class Server;
}

namespace ha::director {

class AdminService;

class AdminServer {
 public:
  explicit AdminServer(DirectorView& view);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Listens on `socketPath` (mode 0666: reads are open; ApplyEdits checks its caller). A socket
  // file nobody answers on is a leftover and is replaced; one that answers belongs to a running
  // directord (or something else) and is refused.
  Status start(const std::string& socketPath);
  // Stops answering and removes the socket file, if it is still the one start() created.
  void stop();
  bool running() const { return server_ != nullptr; }

 private:
  // Accepts on our own listening socket and hands each connection to gRPC (so SO_PEERCRED
  // can be read for it); ends when stop() writes to wakeFd_.
  void acceptLoop();

  std::unique_ptr<AdminService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string path_;
  uint64_t socketDev_ = 0;
  uint64_t socketIno_ = 0;
  int listenFd_ = -1;
  int wakeFd_ = -1;
  std::thread acceptor_;
};

}  // namespace ha::director
