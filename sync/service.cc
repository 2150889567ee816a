#include "sync/service.h"

#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <utility>

#include "common/log.h"
#include "common/post_and_wait.h"
#include "sync/engine.h"

namespace ha::sync {

struct Service::Running {
  explicit Running(boost::asio::io_context& io) : events(io), readyTimer(io) {}
  ~Running() {
    if (events.is_open()) (void)events.release();  // the port owns the fd
  }
  SteadyTimeSource clock;
  std::unique_ptr<ConntrackPort> conntrack;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<Transport> transport;
  boost::asio::posix::stream_descriptor events;
  boost::asio::steady_timer readyTimer;
};

Service::Service(ReadinessListener onReadiness, ServicePorts ports)
    : onReadiness_(std::move(onReadiness)), ports_(std::move(ports)), work_(io_.get_executor()) {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "sync");
    io_.run();
  });
}

template <typename F>
auto Service::onSyncThread(Duration wait, F&& f) {
  return postAndWait(io_, "sync", Clock::now() + wait, std::forward<F>(f));
}

Service::~Service() {
  if (auto stopped = stopOnSyncThread(); !stopped) {
    log::error("sync: the sync thread did not stop; aborting rather than hanging the exit");
    std::abort();
  }
  work_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

namespace {

// Checked before the running sync is stopped, so a reload with a missing file changes nothing.
Status readable(const SyncConfig& config) {
  for (const std::string* file : {&config.tls.caFile, &config.tls.certFile, &config.tls.keyFile}) {
    if (::access(file->c_str(), R_OK) != 0) {
      return Error{"connection_sync: cannot read " + *file + ": " + std::strerror(errno)};
    }
  }
  return okStatus();
}

}  // namespace

Status Service::apply(const SyncConfig& config) {
  return onSyncThread(kSyncApplyDeadline, [this, config]() -> Status {
    if (running_ && config == config_) return okStatus();
    if (config.enabled) {
      if (auto st = readable(config); !st) return st;
    }
    Engine::TaughtCopies carried;
    if (running_) carried = running_->engine->taughtCopies();
    stopRunning();
    config_ = config;
    if (!config.enabled) return okStatus();
    Status started = start(config);
    if (!started) {
      stopRunning();
      return started;
    }
    running_->engine->adoptTaughtCopies(carried);
    return started;
  });
}

Status Service::start(const SyncConfig& config) {
  auto running = std::make_unique<Running>(io_);
  auto conntrack = ports_.openConntrack();
  if (!conntrack) return Error{"connection sync: conntrack: " + conntrack.error()};
  running->conntrack = std::move(*conntrack);
  running->engine = std::make_unique<Engine>(config, *running->conntrack, running->clock,
                                             onReadiness_);
  running->engine->setCatalog(catalog_);
  auto transport = ports_.startTransport(config, io_, *running->engine);
  if (!transport) return Error{"connection sync: " + transport.error()};
  running->transport = std::move(*transport);
  running->engine->attach(*running->transport);
  if (running->conntrack->eventFd() >= 0) running->events.assign(running->conntrack->eventFd());
  running->readyTimer.expires_after(config.readyTimeout);
  Engine* engine = running->engine.get();
  running->readyTimer.async_wait([engine](const boost::system::error_code& ec) {
    if (!ec) engine->onReadyTimeout();
  });
  running_ = std::move(running);
  ++generation_;
  watchEvents();
  log::info("sync: node " + config.nodeName + " listening on " +
            formatEndpoint(config.listenAddress, config.listenPort) + ", " +
            std::to_string(config.peers.size()) + " peers");
  return okStatus();
}

void Service::watchEvents() {
  if (!running_ || !running_->events.is_open()) return;
  running_->events.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                              [this, generation = generation_](const boost::system::error_code& ec) {
                                if (ec || !running_ || generation != generation_) return;
                                running_->engine->onLocalEvents();
                                watchEvents();
                              });
}

void Service::stopRunning() {
  if (!running_) return;
  // The transport first: no callback may reach the engine once it is gone.
  running_->transport.reset();
  running_->engine->detach();
  running_->readyTimer.cancel();
  if (running_->events.is_open()) running_->events.cancel();
  // Handlers already queued see running_ changed (or cancelled) and return.
  running_.reset();
}

void Service::setCatalog(ServiceCatalog catalog) {
  boost::asio::post(io_, [this, catalog = std::move(catalog)]() mutable {
    catalog_ = catalog;
    if (running_) running_->engine->setCatalog(std::move(catalog));
  });
}

Result<SyncSnapshot> Service::snapshot() {
  return onSyncThread(kSyncSnapshotDeadline, [this] {
    if (!running_) return SyncSnapshot{};
    return running_->engine->snapshot();
  });
}

Status Service::stopOnSyncThread() {
  if (!thread_.joinable() || io_.stopped()) return okStatus();
  return onSyncThread(kSyncApplyDeadline, [this] {
    stopRunning();
    return okStatus();
  });
}

void Service::shutdown() {
  if (auto stopped = stopOnSyncThread(); !stopped) log::error("sync: shutdown: " + stopped.error());
}

void Service::runOnThread(std::function<void()> work) { boost::asio::post(io_, std::move(work)); }

}  // namespace ha::sync
