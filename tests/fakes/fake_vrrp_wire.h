#pragma once
// An in-memory LAN of real vrrp::Routers on a ManualClock. Each "router" the
// test adds is one VRRP instance; an instance runs in a box — one vrrp::Router with its own fake
// transport, announcer, links and address table — alone, or with the other members of its sync
// group (a vrrp_sync_group lives inside one Router). Adverts are encoded by the sending Router,
// carried by the wire after a fixed delay and decoded by every other box running an instance on
// the same VRID. Loss and partitions are switched by the test. Shared by the state machine, sync
// group and split-brain tests and the action-sequence fuzzer.
//
// How the test's knobs reach the Router, through the paths production uses:
//   setPriority -> two vrrp_scripts per instance (one healthy, one failing) whose weights a
//                  reload sets so that base + weights = the priority (the instance's own config
//                  does not change, so it keeps its state, as in production);
//   setFault    -> a weight-0 track_interface ("flt<member>") whose link goes down or up;
//   stop        -> the instance leaves the box's config (or the box shuts down), priority 0 sent;
//   crash       -> the box is destroyed without a word, its addresses vanish with it.
// Instances announce once per takeover (garp_master_delay 0): an Announcement is one burst.
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/fakes/manual_clock.h"
#include "vrrp/router.h"
#include "vrrp/state_machine.h"

namespace ha::test {

class FakeVrrpWire {
 public:
  struct Sent {
    TimePoint at;
    size_t router = 0;
    uint8_t priority = 0;
    bool dropped = false;  // lost to dropNext() or to a partition at the sender
  };
  struct Change {
    TimePoint at;
    size_t router = 0;
    vrrp::Transition transition;
  };
  // Gratuitous ARP / unsolicited NA bursts: on taking the addresses, or again (a lower-priority
  // master heard). Neighbours on the LAN follow the latest one, whoever VRRP can hear.
  struct Announcement {
    TimePoint at;
    size_t router = 0;
  };

  explicit FakeVrrpWire(ManualClock& clock, Duration delay = std::chrono::milliseconds(1));
  ~FakeVrrpWire();
  FakeVrrpWire(const FakeVrrpWire&) = delete;
  FakeVrrpWire& operator=(const FakeVrrpWire&) = delete;

  // An instance (not started) on `vrid` with these parameters: its primary address is the source
  // of its adverts, its VIP 10.0.<vrid>.100/24. Only instances on the same VRID hear each other.
  size_t addRouter(const vrrp::Params& params, uint8_t vrid = 1);
  // Instances that run in one box as a vrrp_sync_group. Add groups before starting members.
  size_t addSyncGroup(std::vector<size_t> routers, std::string name = {});

  // Starts the instance in its box (the box boots if it is not running).
  void start(size_t router);
  // Orderly stop: a master sends priority 0 and releases its addresses.
  void stop(size_t router);
  // Silent death of the instance's box (with every member): no priority 0, addresses gone.
  void crash(size_t router);
  void restart(size_t router);
  // Cut the instance's box off the wire (both directions) or put it back.
  void partition(size_t router, bool isolated);
  // Every box back on the wire, and adverts still due to be dropped are not.
  void healAll();
  // The next `count` adverts the instance sends are lost.
  void dropNext(size_t router, size_t count = 1);
  void setDelay(Duration delay) { delay_ = delay; }
  // Effective priority through tracking weights; kept across restarts.
  void setPriority(size_t router, uint8_t priority);
  // A weight-0 tracked interface down (true) or up; kept across restarts. The Router names the
  // reason itself ("interface flt0 down"); `reason` is not used.
  void setFault(size_t router, bool faulted, std::string reason = {});
  void advance(Duration d) { clock_.advance(d); }

  vrrp::State state(size_t router) const;
  bool running(size_t router) const;
  bool holdsAddresses(size_t router) const;
  bool isolated(size_t router) const;
  size_t masterCount() const;  // running instances in MASTER, all VRIDs
  size_t masterCount(uint8_t vrid) const;
  size_t holderCount() const;  // instances holding their virtual addresses
  size_t size() const { return routers_.size(); }
  // The Router's view of a running instance (directorctl vrrp's).
  vrrp::InstanceStatus status(size_t router) const;
  // The group's state as the Router last notified it (notify_master/backup/fault of the group).
  vrrp::State groupState(size_t group) const;

  const std::vector<Change>& changes() const { return changes_; }
  const std::vector<Sent>& sent() const { return sent_; }
  const std::vector<Announcement>& announcements() const { return announcements_; }
  // When the last advert was lost (dropNext, partition); nullopt if none was.
  std::optional<TimePoint> lastLossAt() const { return lastLossAt_; }
  // The time instance `router` last entered `state`, if it did.
  std::optional<TimePoint> lastEntered(size_t router, vrrp::State state) const;
  // Called after each transition has been carried out.
  void onChange(std::function<void(const Change&)> listener) { listener_ = std::move(listener); }

 private:
  struct Box;
  struct Instance {
    vrrp::Params params;
    uint8_t vrid = 1;
    std::optional<uint8_t> priority;  // effective priority set by the test
    bool faulted = false;
    size_t box = 0;
    size_t member = 0;  // its index in the box: interface lan<member>, tracked flt<member>
    bool running = false;
    vrrp::State state = vrrp::State::kInitialize;  // as the Router last reported it
    size_t dropNext = 0;
  };

  vrrp::InstanceConfig configOf(size_t router) const;
  vrrp::VrrpConfig boxConfig(const Box& box) const;
  void boot(Box& box);
  void applyBox(Box& box);
  void onSent(Box& box, const vrrp::Advertisement& advert, const IpAddress& source,
              const IpAddress& destination, const std::vector<uint8_t>& payload);
  void deliver(size_t box, uint64_t boot, uint8_t vrid, const IpAddress& source,
               const IpAddress& destination, const std::vector<uint8_t>& payload);
  Instance& at(size_t router);
  const Instance& at(size_t router) const;

  ManualClock& clock_;
  Duration delay_;
  std::vector<Instance> routers_;
  std::vector<std::unique_ptr<Box>> boxes_;
  std::vector<size_t> groupBox_;  // sync group index -> its box
  std::vector<Change> changes_;
  std::vector<Sent> sent_;
  std::vector<Announcement> announcements_;
  std::optional<TimePoint> lastLossAt_;
  std::function<void(const Change&)> listener_;
  // Deliveries left on the clock after the wire is gone see this expire and do nothing.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace ha::test
