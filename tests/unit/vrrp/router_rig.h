#pragma once
// One real vrrp::Router on fakes (ManualClock timers, fake transport, announcer, links, address
// owner), wired the way vrrp::Service wires it, plus what the Router tests need to read it back.
// Times in the tests are offsets from ManualClock::kStart, where the rig applies its first config.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/fakes/fake_address_owner.h"
#include "tests/fakes/fake_routing_owner.h"
#include "tests/fakes/fake_vrrp_ports.h"
#include "tests/fakes/manual_clock.h"
#include "tests/fakes/manual_vrrp_timers.h"
#include "vrrp/router.h"

namespace ha::vrrp::test_rig {

using namespace std::chrono_literals;

inline IpAddress ip(const char* text) { return *IpAddress::parse(text); }
inline IpPrefix prefix(const char* text) { return *IpPrefix::parse(text); }

// Master_Down_Interval at 1 s adverts (RFC 5798 §6.1): 3 s + (256 - priority) / 256 s.
inline Duration down(uint8_t priority) { return 3s + Duration(1s) * (256 - priority) / 256; }

// VI_1 on lan0 (ifindex 2, 192.0.2.1), VRID 1, priority 100, v3, 1 s, VIP 192.0.2.100/24.
inline InstanceConfig instance(std::string name = "VI_1", std::string interface = "lan0",
                               uint8_t vrid = 1, uint8_t priority = 100,
                               const char* vip = "192.0.2.100/24") {
  InstanceConfig c;
  c.name = std::move(name);
  c.location = "keepalived.conf:1";
  c.interface = std::move(interface);
  c.vrid = vrid;
  c.priority = priority;
  c.version = Version::kV3;
  c.advertInterval = 1s;
  c.addresses.push_back(VirtualAddress{prefix(vip), "", "", "keepalived.conf:2"});
  return c;
}

inline Advertisement advert(uint8_t vrid, uint8_t priority, const char* vip = "192.0.2.100",
                            Version version = Version::kV3, uint16_t intervalCs = 100) {
  Advertisement a;
  a.version = version;
  a.vrid = vrid;
  a.priority = priority;
  a.adverIntervalCs = intervalCs;
  a.addresses = {ip(vip)};
  return a;
}

class RouterRig : public ::testing::Test {
 protected:
  RouterRig() {
    links.addLink("lan0", 2, true, {ip("192.0.2.1")});
    links.addLink("lan1", 3, true, {ip("198.51.100.1")});
    links.addLink("eth1", 4, true, {ip("203.0.113.1")});
    kernel.devices = {"lan0", "lan1", "eth1", "lo"};
    transport.receiver = [this](const ReceivedPacket& p) { router.onPacket(p); };
    links.subscribe([this](const LinkState& l) { router.onLinkChange(l); });
  }

  RouterHooks hooks() {
    RouterHooks h;
    h.notifyInstance = [this](const InstanceConfig& c, State s, uint8_t priority) {
      notified.push_back(c.name + " " + std::string(stateName(s)) + " " + std::to_string(priority));
    };
    h.notifyGroup = [this](const SyncGroupConfig& g, State s) {
      notified.push_back("group " + g.name + " " + std::string(stateName(s)));
    };
    h.roleChanged = [this](const RoleChange& r) { roles.push_back(r); };
    return h;
  }

  static TimePoint at(Duration d) { return test::ManualClock::kStart + d; }
  void advanceTo(Duration d) { clock.advanceTo(at(d)); }

  void apply(const VrrpConfig& config) { ASSERT_TRUE(router.apply(config).ok()); }
  void apply(std::vector<InstanceConfig> instances) {
    VrrpConfig c;
    c.instances = std::move(instances);
    apply(c);
  }

  const InstanceStatus& status(const std::string& name) {
    snap = router.snapshot();
    for (const auto& s : snap.instances) {
      if (s.name == name) return s;
    }
    ADD_FAILURE() << "no instance " << name;
    static const InstanceStatus none;
    return none;
  }
  State state(const std::string& name = "VI_1") { return status(name).state; }

  bool holds(const char* vip, const char* dev = "lan0") const {
    return kernel.has(OwnedAddress{prefix(vip), dev, ""});
  }
  // The adverts sent from `source`, as (time offset, priority).
  std::vector<std::pair<Duration, int>> sentFrom(const char* source) const {
    std::vector<std::pair<Duration, int>> out;
    for (const auto& s : transport.sent()) {
      if (s.source == ip(source))
        out.emplace_back(s.at - test::ManualClock::kStart, s.advert.priority);
    }
    return out;
  }
  // Feeds an advert received on lan0 (ifindex 2) or lan1 (3) from `from`.
  void hear(uint32_t ifindex, const char* from, const Advertisement& a) {
    transport.receive(ifindex, ip(from), a);
  }

  test::ManualClock clock;
  test::ManualVrrpTimers timers{clock};
  test::FakeVrrpTransport transport{clock};
  test::FakeVrrpAnnouncer announcer{clock};
  test::FakeVrrpLinkMonitor links;
  test::FakeAddressTable kernel;
  test::FakeAddressOwner addresses{kernel};
  test::FakeRoutingTable routingKernel;  // virtual_routes / virtual_rules
  test::FakeRoutingOwner routing{routingKernel};
  std::vector<std::string> notified;
  std::vector<RoleChange> roles;
  RouterSnapshot snap;
  Router router{RouterPorts{transport, announcer, links, addresses, timers, &routing}, hooks()};
};

}  // namespace ha::vrrp::test_rig
