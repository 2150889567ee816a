#pragma once
// vrrp/ in production: the VRRP io_context thread and everything that runs on it — the ports
// (transport, announcer, link monitor, address owner: ServicePorts, as sync::Service takes its
// own), script tracker, notify scripts and the Router.
// VRRP timing never waits behind health checks, sync or the director (docs/style.md §5): those run
// on other threads, and every call here is posted to this thread as a value.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <thread>

#include "common/netlink/address_owner.h"
#include "common/netlink/routing_owner.h"
#include "common/process_runner.h"
#include "vrrp/control.h"
#include "vrrp/timers.h"
#include "vrrp/transport.h"

namespace ha::vrrp {

// Opens the owner of the virtual addresses on the VRRP thread (its netlink socket is used from that
// thread only). The composition root decides what it is (e.g. one that records what it adds).
using AddressOwnerFactory = std::function<Result<std::unique_ptr<AddressOwner>>()>;
// The same for virtual_routes / virtual_rules.
using RoutingOwnerFactory = std::function<Result<std::unique_ptr<RoutingOwner>>()>;

// How the service opens its ports; tests hand it fakes. Each is called once, on the VRRP thread,
// by open(); a failure stops open() with its reason. The transport's receiver feeds the Router.
struct ServicePorts {
  AddressOwnerFactory openAddressOwner;
  RoutingOwnerFactory openRoutingOwner;  // null: instances with virtual_routes/rules are refused
  std::function<Result<std::unique_ptr<LinkMonitor>>(boost::asio::io_context&)> openLinks;
  std::function<Result<std::unique_ptr<Transport>>(boost::asio::io_context&, Transport::Receiver)>
      openTransport;
  std::function<Result<std::unique_ptr<Announcer>>(boost::asio::io_context&)> openAnnouncer;
  // Runs the notify scripts and vrrp_script checks; one runner for both.
  ProcessRunnerFactory makeProcessRunner;
  // The Router's clock and timers.
  std::function<std::unique_ptr<Timers>(boost::asio::io_context&)> makeTimers;
};
// rtnetlink links, raw VRRP sockets, packet-socket announcements, child processes
// (ChildProcessRunner) and Asio timers; the addresses from `addressOwner`, or a plain
// NetlinkAddressOwner without one; the routes and rules from `routingOwner`, or a plain
// NetlinkRoutingOwner.
ServicePorts productionPorts(AddressOwnerFactory addressOwner = nullptr,
                             RoutingOwnerFactory routingOwner = nullptr);

// How long another thread waits for the VRRP thread (common/post_and_wait.h): a VRRP thread that
// does not answer within it is stuck, not busy (it never waits on anything but its sockets).
inline constexpr auto kVrrpCallDeadline = std::chrono::seconds(3);

class Service final : public Control {
 public:
  // Called on the VRRP thread; post to your own thread from it.
  using RoleListener = std::function<void(const RoleChange&)>;

  // Starts the thread and opens every port on it now, so a missing capability stops start-up
  // with a reason.
  static Result<std::unique_ptr<Service>> open(RoleListener onRoleChange, ServicePorts ports);
  // Aborts (after a log line) if the VRRP thread does not stop within kVrrpCallDeadline: joining a
  // stuck thread would hang the exit forever.
  ~Service() override;

  Status apply(const VrrpConfig& config) override;
  void shutdown() override;
  Result<RouterSnapshot> snapshot() override;
  void setVirtualServerQuorum(const std::string& name, bool up) override;
  void setSyncReady(bool ready) override;
  void runOnThread(std::function<void()> work) override;

 private:
  struct Parts;
  explicit Service(RoleListener onRoleChange);
  template <typename F>
  auto onVrrpThread(F&& f);

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::unique_ptr<Parts> parts_;
  std::thread thread_;
  RoleListener onRoleChange_;
};

}  // namespace ha::vrrp
