// vrrp::Service on fake ports (ServicePorts): the thread, the posting and the wiring of ports to
// the Router, with no socket and no child process. Adverts every 40 s and no delayed GARP burst,
// so no timer fires on the VRRP thread while the test reads the fakes (each read follows a call
// that waited for it; FakeProcesses is thread-safe).
#include "vrrp/service.h"

#include <gtest/gtest.h>

#include <thread>

#include "tests/fakes/fake_address_owner.h"
#include "tests/fakes/fake_process_runner.h"
#include "tests/fakes/fake_vrrp_ports.h"
#include "vrrp/asio_timers.h"
#include "vrrp/notifier.h"

namespace ha::vrrp {
namespace {

using namespace std::chrono_literals;

IpPrefix prefix(const char* text) { return *IpPrefix::parse(text); }

InstanceConfig owner(std::string name, uint8_t priority) {
  InstanceConfig c;
  c.name = std::move(name);
  c.interface = "lan0";
  c.vrid = 1;
  c.priority = priority;
  c.version = Version::kV3;
  c.advertInterval = 40s;
  c.garp.masterDelay = 0s;
  c.addresses = {VirtualAddress{prefix("192.0.2.100/24"), "", "", ""}};
  return c;
}

class VrrpService : public ::testing::Test {
 protected:
  ServicePorts fakes(std::string addressOwnerError = {}) {
    ServicePorts p;
    p.openAddressOwner = [this, addressOwnerError]() -> Result<std::unique_ptr<AddressOwner>> {
      if (!addressOwnerError.empty()) return Error{addressOwnerError};
      return std::unique_ptr<AddressOwner>(std::make_unique<test::FakeAddressOwner>(kernel));
    };
    p.openLinks = [this](boost::asio::io_context&) -> Result<std::unique_ptr<LinkMonitor>> {
      auto l = std::make_unique<test::FakeVrrpLinkMonitor>();
      l->addLink("lan0", 2, true, {*IpAddress::parse("192.0.2.1")});
      links = l.get();
      return std::unique_ptr<LinkMonitor>(std::move(l));
    };
    p.openTransport = [this](boost::asio::io_context&,
                             Transport::Receiver receiver) -> Result<std::unique_ptr<Transport>> {
      auto t = std::make_unique<test::FakeVrrpTransport>(clock);
      t->receiver = std::move(receiver);
      transport = t.get();
      return std::unique_ptr<Transport>(std::move(t));
    };
    p.openAnnouncer = [this](boost::asio::io_context&) -> Result<std::unique_ptr<Announcer>> {
      auto a = std::make_unique<test::FakeVrrpAnnouncer>(clock);
      announcer = a.get();
      return std::unique_ptr<Announcer>(std::move(a));
    };
    p.makeProcessRunner = processes.factory();
    p.makeTimers = [](boost::asio::io_context& io) -> std::unique_ptr<Timers> {
      return std::make_unique<AsioTimers>(io);
    };
    return p;
  }

  SteadyTimeSource clock;
  test::FakeProcesses processes;
  test::FakeAddressTable kernel;
  test::FakeVrrpLinkMonitor* links = nullptr;
  test::FakeVrrpTransport* transport = nullptr;
  test::FakeVrrpAnnouncer* announcer = nullptr;
  std::vector<RoleChange> roles;  // written on the VRRP thread, read after a waiting call
};

// apply() reaches the Router through the ports: the owner is MASTER at once, its advert leaves
// through the transport, its VIP is claimed and announced, the role listener hears it; shutdown()
// hands over with priority 0 and removes the VIP.
TEST_F(VrrpService, PortsCarryTheRoutersWork) {
  kernel.devices = {"lan0"};
  auto service = Service::open([this](const RoleChange& r) { roles.push_back(r); }, fakes());
  ASSERT_TRUE(service.ok()) << service.error();
  ASSERT_TRUE((*service)->apply(VrrpConfig{{owner("VI_1", 255)}, {}, {}}).ok());
  auto snap = (*service)->snapshot();
  ASSERT_TRUE(snap.ok());
  ASSERT_EQ(snap->instances.size(), 1u);
  EXPECT_EQ(snap->instances[0].state, State::kMaster);
  ASSERT_EQ(transport->sent().size(), 1u);
  EXPECT_EQ(transport->sent()[0].advert.priority, 255);
  EXPECT_EQ(transport->attached().count({2, Family::kV4}), 1u);
  EXPECT_TRUE(kernel.has(OwnedAddress{prefix("192.0.2.100/24"), "lan0", ""}));
  EXPECT_EQ(announcer->announcements().size(), 5u);
  ASSERT_EQ(roles.size(), 1u);
  EXPECT_EQ(roles[0].to, State::kMaster);
  (*service)->shutdown();
  ASSERT_EQ(transport->sent().size(), 2u);
  EXPECT_EQ(transport->sent()[1].advert.priority, 0);
  EXPECT_TRUE(kernel.all().empty());
}

// A posted call reaches the Router on its thread: a lost quorum (weight 0) faults the instance.
TEST_F(VrrpService, PostedQuorumReachesTheRouter) {
  kernel.devices = {"lan0"};
  auto service = Service::open(nullptr, fakes());
  ASSERT_TRUE(service.ok()) << service.error();
  auto c = owner("VI_1", 100);
  c.trackVirtualServers = {TrackedVirtualServer{"TCP 192.0.2.100:80", 0}};
  ASSERT_TRUE((*service)->apply(VrrpConfig{{c}, {}, {}}).ok());
  (*service)->setVirtualServerQuorum("TCP 192.0.2.100:80", false);
  auto snap = (*service)->snapshot();  // waits behind the posted call
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->instances[0].state, State::kFault);
  EXPECT_EQ(snap->instances[0].fault, "virtual server TCP 192.0.2.100:80 quorum lost");
}

using Argv = std::vector<std::string>;

// Becoming MASTER runs notify_master exactly as configured (quotes group words, no shell), then
// `notify` with INSTANCE, the name, MASTER and the priority, one after the other under the
// notify limit; shutdown runs notify_stop and `notify ... STOP 0` under the shorter stop limit.
TEST_F(VrrpService, TransitionsRunTheNotifyCommands) {
  kernel.devices = {"lan0"};
  auto service = Service::open(nullptr, fakes());
  ASSERT_TRUE(service.ok()) << service.error();
  auto c = owner("VI_1", 255);
  c.notify.master = "/etc/ha/to-master 'VI 1' --now";
  c.notify.stop = "/etc/ha/stopped";
  c.notify.any = "/etc/ha/notify";
  ASSERT_TRUE((*service)->apply(VrrpConfig{{c}, {}, {}}).ok());
  ASSERT_TRUE(processes.waitForRuns(2));
  auto runs = processes.runs();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].argv, (Argv{"/etc/ha/to-master", "VI 1", "--now"}));
  EXPECT_EQ(runs[0].timeout, kNotifyTimeout);
  EXPECT_EQ(runs[1].argv, (Argv{"/etc/ha/notify", "INSTANCE", "VI_1", "MASTER", "255"}));
  EXPECT_EQ(runs[1].timeout, kNotifyTimeout);

  (*service)->shutdown();
  ASSERT_TRUE(processes.waitForRuns(4));
  runs = processes.runs();
  ASSERT_EQ(runs.size(), 4u);
  EXPECT_EQ(runs[2].argv, (Argv{"/etc/ha/stopped"}));
  EXPECT_EQ(runs[2].timeout, kNotifyStopTimeout);
  EXPECT_EQ(runs[3].argv, (Argv{"/etc/ha/notify", "INSTANCE", "VI_1", "STOP", "0"}));
  EXPECT_EQ(runs[3].timeout, kNotifyStopTimeout);
}

// A tracked vrrp_script that times out counts as a failure: its weight (-20) comes off the
// instance's priority (unknown until its first result, when no weight applies). The script runs
// with its own arguments, its timeout defaulting to its interval.
TEST_F(VrrpService, TimedOutTrackScriptLowersThePriority) {
  kernel.devices = {"lan0"};
  processes.hold("/etc/ha/check");
  auto service = Service::open(nullptr, fakes());
  ASSERT_TRUE(service.ok()) << service.error();
  auto c = owner("VI_1", 100);
  c.trackScripts = {TrackedScript{"chk", -20}};
  ScriptConfig script;
  script.name = "chk";
  script.command = "/etc/ha/check --port 80";
  script.interval = 2s;
  ASSERT_TRUE((*service)->apply(VrrpConfig{{c}, {script}, {}}).ok());
  ASSERT_TRUE(processes.waitForRuns(1));
  const auto runs = processes.runs();
  EXPECT_EQ(runs[0].argv, (Argv{"/etc/ha/check", "--port", "80"}));
  EXPECT_EQ(runs[0].timeout, 2s);
  auto before = (*service)->snapshot();
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->instances[0].effectivePriority, 100);

  ASSERT_TRUE(processes.endOldest("/etc/ha/check", test::timedOutAfter(2s)));
  // The answer is posted to the VRRP thread: poll, bounded.
  int priority = 100;
  for (int i = 0; i < 500 && priority != 80; ++i) {
    auto snap = (*service)->snapshot();
    ASSERT_TRUE(snap.ok());
    priority = snap->instances[0].effectivePriority;
    if (priority != 80) std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(priority, 80);
}

// A port that cannot open stops open() with its reason.
TEST_F(VrrpService, PortFailureStopsOpen) {
  auto service = Service::open(nullptr, fakes("netlink: Operation not permitted"));
  ASSERT_FALSE(service.ok());
  EXPECT_EQ(service.error(), "netlink: Operation not permitted");
}

}  // namespace
}  // namespace ha::vrrp
