#pragma once
// vrrp/ in production: the VRRP io_context thread and everything that runs on it — raw sockets,
// announcements, link monitor, address owner, script tracker, notify scripts and the Router.
// VRRP timing never waits behind health checks, sync or the director (STYLE.md §5): those run on
// other threads, and every call here is posted to this thread as a value.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <thread>

#include "vrrp/control.h"

namespace ha::vrrp {

class Service final : public Control {
 public:
  // Called on the VRRP thread; post to your own thread from it.
  using RoleListener = std::function<void(const RoleChange&)>;

  // Opens the kernel sockets (rtnetlink, raw VRRP, packet) now so a missing capability stops
  // start-up with a reason, and starts the thread.
  static Result<std::unique_ptr<Service>> open(RoleListener onRoleChange);
  ~Service() override;

  Status apply(const VrrpConfig& config) override;
  void shutdown() override;
  RouterSnapshot snapshot() override;
  void setVirtualServerQuorum(const std::string& name, bool up) override;
  void setSyncReady(bool ready) override;

 private:
  struct Parts;
  explicit Service(RoleListener onRoleChange);
  template <typename F>
  auto onVrrpThread(F&& f) -> decltype(f());

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::unique_ptr<Parts> parts_;
  std::thread thread_;
  RoleListener onRoleChange_;
};

}  // namespace ha::vrrp
