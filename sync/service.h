#pragma once
// sync/ in production: the sync io_context thread ("sync") and everything on it — the engine, the
// conntrack event socket, the transport's callbacks. gRPC runs its own threads and posts here.
// Other threads reach it only through Control (posted values).
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <thread>

#include "common/clock.h"
#include "sync/control.h"
#include "sync/flow.h"
#include "sync/transport.h"

namespace ha::sync {

// How long other threads wait for the sync thread (common/post_and_wait.h). Starting sync reads
// certificates and binds; stopping it waits for gRPC to end every stream (GrpcTransport::stop).
inline constexpr auto kSyncApplyDeadline = std::chrono::seconds(10);
inline constexpr auto kSyncSnapshotDeadline = std::chrono::seconds(3);

// How the service opens its ports; tests hand it fakes.
struct ServicePorts {
  std::function<Result<std::unique_ptr<ConntrackPort>>()> openConntrack;
  std::function<Result<std::unique_ptr<Transport>>(const SyncConfig&, boost::asio::io_context&,
                                                    TransportListener&)>
      startTransport;
};
ServicePorts productionPorts();  // ctnetlink + gRPC over mutual TLS

class Service final : public Control {
 public:
  // onReadiness runs on the sync thread; post to your own thread from it.
  Service(ReadinessListener onReadiness, ServicePorts ports);
  // Aborts (after a log line) if the sync thread does not stop within kSyncApplyDeadline: joining
  // a stuck thread would hang the exit forever.
  ~Service() override;

  Status apply(const SyncConfig& config) override;
  void setCatalog(ServiceCatalog catalog) override;
  Result<SyncSnapshot> snapshot() override;
  void shutdown() override;
  void runOnThread(std::function<void()> work) override;

 private:
  struct Running;
  template <typename F>
  auto onSyncThread(Duration wait, F&& f);
  Status stopOnSyncThread();
  Status start(const SyncConfig& config);
  void stopRunning();
  void watchEvents();

  ReadinessListener onReadiness_;
  ServicePorts ports_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::unique_ptr<Running> running_;  // sync thread only
  ServiceCatalog catalog_;            // sync thread only
  SyncConfig config_;                 // sync thread only
  uint64_t generation_ = 0;           // which Running an event handler was armed for
  std::thread thread_;
};

}  // namespace ha::sync
