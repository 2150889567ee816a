#include "vrrp/service.h"

#include <pthread.h>

#include <boost/asio/post.hpp>
#include <cstdlib>
#include <set>

#include "common/log.h"
#include "common/post_and_wait.h"
#include "vrrp/notifier.h"
#include "vrrp/router.h"
#include "vrrp/script_tracker.h"

namespace ha::vrrp {

// Everything that lives on the VRRP thread, built and destroyed there. Declaration order is
// construction order: the router, which uses every port, goes first on destruction.
struct Service::Parts {
  std::unique_ptr<AddressOwner> addresses;
  std::unique_ptr<RoutingOwner> routing;  // null without openRoutingOwner
  std::unique_ptr<LinkMonitor> links;
  std::unique_ptr<Transport> transport;
  std::unique_ptr<Announcer> announcer;
  std::unique_ptr<ProcessRunner> runner;
  std::unique_ptr<Notifier> notifier;
  std::unique_ptr<ScriptTracker> scripts;
  std::unique_ptr<Timers> timers;
  std::unique_ptr<Router> router;
};

Service::Service(RoleListener onRoleChange)
    : work_(boost::asio::make_work_guard(io_)), onRoleChange_(std::move(onRoleChange)) {}

template <typename F>
auto Service::onVrrpThread(F&& f) {
  return postAndWait(io_, "vrrp", Clock::now() + kVrrpCallDeadline, std::forward<F>(f));
}

Result<std::unique_ptr<Service>> Service::open(RoleListener onRoleChange, ServicePorts ports) {
  std::unique_ptr<Service> service(new Service(std::move(onRoleChange)));
  Service* self = service.get();
  service->thread_ = std::thread([self] {
    pthread_setname_np(pthread_self(), "vrrp");  // named for top -H and bench/healthcheck's per-thread CPU
    self->io_.run();
  });
  auto opened = self->onVrrpThread([self, ports = std::move(ports)]() -> Status {
    auto parts = std::make_unique<Parts>();
    auto addresses = ports.openAddressOwner();
    if (!addresses) return Error{addresses.error()};
    parts->addresses = std::move(addresses.value());
    if (ports.openRoutingOwner) {
      auto routing = ports.openRoutingOwner();
      if (!routing) return Error{routing.error()};
      parts->routing = std::move(routing.value());
    }
    auto links = ports.openLinks(self->io_);
    if (!links) return Error{links.error()};
    parts->links = std::move(links.value());
    Parts* p = parts.get();
    auto transport = ports.openTransport(self->io_, [p](const ReceivedPacket& packet) {
      if (p->router) p->router->onPacket(packet);
    });
    if (!transport) return Error{transport.error()};
    parts->transport = std::move(transport.value());
    auto announcer = ports.openAnnouncer(self->io_);
    if (!announcer) return Error{announcer.error()};
    parts->announcer = std::move(announcer.value());
    parts->runner = ports.makeProcessRunner(self->io_);
    parts->notifier = std::make_unique<Notifier>(*parts->runner);
    parts->scripts = std::make_unique<ScriptTracker>(
        self->io_, *parts->runner, [p](const std::string& name, bool healthy) {
          if (p->router) p->router->onScriptChange(name, healthy);
        });
    RouterHooks hooks;
    hooks.notifyInstance = [p](const InstanceConfig& c, State to, uint8_t priority) {
      if (to == State::kInitialize) {
        p->notifier->instanceStopped(c, priority);
      } else {
        p->notifier->instanceChanged(c, to, priority);
      }
    };
    hooks.notifyGroup = [p](const SyncGroupConfig& g, State to) {
      if (to == State::kInitialize) {
        p->notifier->groupStopped(g);
      } else {
        p->notifier->groupChanged(g, to);
      }
    };
    hooks.roleChanged = self->onRoleChange_;
    parts->timers = ports.makeTimers(self->io_);
    parts->router = std::make_unique<Router>(
        RouterPorts{*parts->transport, *parts->announcer, *parts->links, *parts->addresses,
                    *parts->timers, parts->routing.get()},
        std::move(hooks));
    parts->links->subscribe([p](const LinkState& link) {
      if (p->router) p->router->onLinkChange(link);
    });
    self->parts_ = std::move(parts);
    return okStatus();
  });
  if (!opened) return Error{opened.error()};
  return service;
}

Service::~Service() {
  if (thread_.joinable()) {
    auto stopped = onVrrpThread([this] {
      if (parts_ && parts_->router) parts_->router->shutdown();
      if (parts_ && parts_->scripts) parts_->scripts->stop();
      parts_.reset();
      return 0;
    });
    if (!stopped) {
      log::error("vrrp: the VRRP thread did not stop; aborting rather than hanging the exit");
      std::abort();
    }
    work_.reset();
    io_.stop();
    thread_.join();
  }
}

Status Service::apply(const VrrpConfig& config) {
  return onVrrpThread([this, config]() -> Status {
    if (auto st = parts_->router->apply(config); !st) return st;
    // keepalived runs a vrrp_script only while some instance tracks it.
    std::set<std::string> tracked;
    for (const auto& i : config.instances) {
      for (const auto& t : i.trackScripts) tracked.insert(t.name);
    }
    std::vector<ScriptConfig> scripts;
    for (const auto& s : config.scripts) {
      if (tracked.count(s.name) != 0) scripts.push_back(s);
    }
    parts_->scripts->setScripts(std::move(scripts));
    return okStatus();
  });
}

void Service::shutdown() {
  auto done = onVrrpThread([this] {
    parts_->router->shutdown();
    parts_->scripts->stop();
    return 0;
  });
  if (!done) log::error("vrrp: shutdown: " + done.error());
}

void Service::setVirtualServerQuorum(const std::string& name, bool up) {
  boost::asio::post(io_, [this, name, up] {
    if (parts_ && parts_->router) parts_->router->onVirtualServerQuorum(name, up);
  });
}

void Service::setSyncReady(bool ready) {
  boost::asio::post(io_, [this, ready] {
    if (parts_ && parts_->router) parts_->router->setSyncReady(ready);
  });
}

Result<RouterSnapshot> Service::snapshot() {
  return onVrrpThread([this] { return parts_->router->snapshot(); });
}

void Service::runOnThread(std::function<void()> work) { boost::asio::post(io_, std::move(work)); }

}  // namespace ha::vrrp
